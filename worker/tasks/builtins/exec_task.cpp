#include "worker/tasks/builtins/exec_task.h"

#include <string.h>

#include <optional>

#include "common/clock.h"
#include "worker/tasks/builtins/subprocess.h"
#include "worker/tasks/builtins/task_args.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

constexpr char kExecTask[] = "exec";

// Output is bytes; JSON text must be UTF-8, so invalid sequences (and a
// character cut at the size limit) become U+FFFD instead of failing the dump.
std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json OutcomeJson(const SubprocessOutcome& outcome) {
  nlohmann::json json = {{"exit_code", outcome.exit_code},
                         {"stdout", outcome.stdout_data},
                         {"stderr", outcome.stderr_data}};
  if (outcome.signal != 0) {
    json["signal"] = outcome.signal;
  }
  if (outcome.stdout_truncated) {
    json["stdout_truncated"] = true;
  }
  if (outcome.stderr_truncated) {
    json["stderr_truncated"] = true;
  }
  return json;
}

}  // namespace

std::string ExecTask(TaskContext& context) { return ExecTask(context, kExecOutputMaxBytes); }

std::string ExecTask(TaskContext& context, size_t output_max_bytes) {
  const nlohmann::json& args =
      RequireObject(context.Args(), kExecTask, R"({"argv": ["echo", "hello"]})");
  SubprocessOptions options;
  options.argv = RequireStringArray(args, kExecTask, "argv");
  options.stdin_data = OptionalString(args, kExecTask, "stdin");
  const std::optional<double> timeout_seconds =
      OptionalPositiveNumber(args, kExecTask, "timeout", kMaxExecTimeoutSeconds);
  options.output_max_bytes = output_max_bytes;
  options.kill_grace = kExecKillGrace;
  options.cancel = &context.cancellation_token();

  // One deadline on the steady clock: the tighter of `timeout` and the
  // job's (unix ms) deadline.
  const auto now = std::chrono::steady_clock::now();
  std::string limit;
  if (timeout_seconds.has_value()) {
    options.deadline = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(*timeout_seconds));
    limit = "its timeout of " + nlohmann::json(*timeout_seconds).dump() + " s";
  }
  if (context.deadline_ms() > 0) {
    const auto job_deadline =
        now + std::chrono::milliseconds(context.deadline_ms() - RealClock().NowMs());
    if (!options.deadline.has_value() || job_deadline < *options.deadline) {
      options.deadline = job_deadline;
      limit = "the job's deadline";
    }
  }

  const std::string program = nlohmann::json(options.argv[0]).dump();
  absl::StatusOr<SubprocessOutcome> outcome = RunSubprocess(options);
  if (!outcome.ok()) {
    throw TaskError(kErrorExecFailed,
                    std::string(kExecTask) + ": " + std::string(outcome.status().message()));
  }
  const std::string detail = Dump(OutcomeJson(*outcome));
  switch (outcome->end) {
    case SubprocessOutcome::End::kExited:
      if (outcome->exit_code != 0) {
        throw TaskError(kErrorExitStatus,
                        std::string(kExecTask) + ": " + program + " exited with status " +
                            std::to_string(outcome->exit_code),
                        detail);
      }
      return detail;
    case SubprocessOutcome::End::kSignaled:
      throw TaskError(kErrorExitStatus,
                      std::string(kExecTask) + ": " + program + " was killed by signal " +
                          std::to_string(outcome->signal) + " (" + strsignal(outcome->signal) + ")",
                      detail);
    case SubprocessOutcome::End::kTimedOut:
      throw TaskError(kErrorTimeout,
                      std::string(kExecTask) + ": " + program + " did not finish within " + limit +
                          "; it was stopped",
                      detail);
    case SubprocessOutcome::End::kCancelled:
      throw TaskError(kErrorCancelled,
                      std::string(kExecTask) + ": " + program + " was cancelled and stopped",
                      detail);
  }
  return detail;
}

}  // namespace jobq::worker
