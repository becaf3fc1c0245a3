#include "producer/cli/submit_command.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/duration.h"
#include "common/utf8.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_args.h"
#include "producer/cli/job_fields.h"
#include "producer/cli/job_ids.h"
#include "producer/cli/job_input.h"
#include "producer/cli/output_lines.h"
#include "producer/cli/progress_bar.h"
#include "producer/client/bulk_submit.h"
#include "producer/client/workflow.h"

namespace jobq::cli {
namespace {

// Writes result lines to stdout, keeping them clear of the progress bar
// when both share a terminal.
class LineOutput {
 public:
  explicit LineOutput(ProgressBar* bar) : bar_(isatty(STDOUT_FILENO) ? bar : nullptr) {}

  void Print(const std::string& line) {
    if (bar_ != nullptr) {
      bar_->Clear();
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  void Flush() { std::fflush(stdout); }

 private:
  ProgressBar* bar_;
};

absl::StatusOr<JobInput> OpenInput(const SubmitFlags& flags) {
  if (!flags.file.empty()) {
    return JobInput::OpenFile(flags.file);
  }
  absl::StatusOr<wire::JobSpec> job = JobSpecFromFlags(flags);
  if (!job.ok()) {
    return job.status();
  }
  return JobInput::FromJob(*std::move(job));
}

}  // namespace

void AddJobOptions(CLI::App* command, SubmitFlags* flags, const std::string& args_json_flag) {
  command->add_option("task", flags->task, "Task to run, e.g. sleep, echo, exec, sum_squares");
  command
      ->add_option("--arg", flags->args,
                   "Task argument KEY=VALUE, repeatable; VALUE is JSON if it parses "
                   "(n=5 is a number, s=abc a string, xs=[1,2] an array)")
      ->allow_extra_args(false);
  command->add_option(args_json_flag, flags->json,
                      "All task arguments as one JSON object; --arg entries override its keys");
  command->add_option("-q,--queue", flags->queue, "Queue to submit to (default: \"default\")");
  command->add_option("--priority", flags->priority, "Higher runs first (default 0)");
  command
      ->add_option("--kind", flags->kind,
                   "Run in the worker's io or cpu pool (default: the task's)")
      ->check(CLI::IsMember({"io", "cpu"}));
  command->add_option("--timeout", flags->timeout_seconds,
                      "Seconds one attempt may run (fractions allowed; default: none)");
  command->add_option("--retries", flags->retries,
                      "Retry a failed attempt up to N times (at most N+1 attempts)");
  command->add_option("--backoff", flags->backoff,
                      "First retry delay, doubled for each later retry, with jitter "
                      "(e.g. 500ms, 2s, 1m; default: the queue's, else the broker's --backoff)");
}

CLI::App* AddSubmitCommand(CLI::App& app, SubmitFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "submit", "Submit one job (TASK --arg k=v ...) or many (--file F, JSON Lines)");
  command->footer(
      "Prints {\"id\":\"...\"} per acknowledged job; with --wait, one line per finished job:\n"
      "  {\"id\":\"...\",\"state\":\"succeeded\",\"attempts\":1,\"result\":...}\n"
      "Examples:\n"
      "  jobq submit sleep --arg seconds=1 --wait\n"
      "  jobq submit exec --json '{\"argv\": [\"ls\", \"-l\"]}' -q ops --retries 2\n"
      "  jobq submit report --delay 10m       runs in 10 minutes (scheduled until then)\n"
      "  jobq submit report --at 2026-12-24T18:00:00+01:00\n"
      "  jobq submit store --after ID1,ID2   runs once both jobs have succeeded\n"
      "  jobq submit --file jobs.jsonl        one job per line: {\"task\": \"noop\"}\n"
      "  make_jobs | jobq submit --file - --wait");
  AddJobOptions(command, flags, "--json");
  command->add_option("--key", flags->key,
                      "Idempotency key: while a job with this key is kept, submitting it again "
                      "creates nothing and returns that job's id");
  CLI::Option* delay = command->add_option(
      "--delay", flags->delay,
      "Run no earlier than this long from now (e.g. 30s, 5m, 2h, 1.5 = seconds); the job is "
      "scheduled until then, and kept through broker restarts");
  command
      ->add_option("--at", flags->at,
                   "Run no earlier than this RFC 3339 time, with its UTC offset (e.g. "
                   "2026-12-24T18:00:00Z, 2026-12-24T19:00:00+01:00); a past time runs now")
      ->excludes(delay);
  CLI::Option* after =
      command
          ->add_option("--after", flags->after,
                       "Wait for these jobs (ids, comma-separated or repeated): the job stays "
                       "blocked until each has succeeded, then runs with their results in its "
                       "arguments' \"inputs\"")
          ->delimiter(',');
  command
      ->add_option("--on-parent-failure", flags->on_parent_failure,
                   "With --after: when a parent does not succeed, cancel this job (cancel, the "
                   "default) or run it anyway (run)")
      ->check(CLI::IsMember({"cancel", "run"}))
      ->needs(after);
  command->add_flag("--wait", flags->wait,
                    "Wait for the jobs and print one outcome line per finished job");
  command->add_flag("--sentinel", flags->sentinel,
                    "Put a sentinel into the queue behind this job (workers of the queue stop)");
  CLI::Option* file = command->add_option(
      "-f,--file", flags->file,
      "Submit one job per line of a JSON Lines file, - for stdin; fields: task, "
      "args, queue, kind, priority, timeout, retries, backoff, key, delay (a duration or "
      "seconds), at (RFC 3339)");
  for (const char* per_job :
       {"--arg", "--json", "--queue", "--priority", "--kind", "--timeout", "--retries", "--backoff",
        "--key", "--delay", "--at", "--sentinel", "--after", "--on-parent-failure"}) {
    file->excludes(command->get_option(per_job));
  }
  command->add_option(
      "--broker", flags->broker,
      "Broker frontend, or each frontend of brokers sharing a store, comma-separated (env "
      "JOBQ_BROKER, default tcp://127.0.0.1:5555)");
  return command;
}

absl::StatusOr<wire::JobSpec> JobSpecFromFlags(const SubmitFlags& flags, TimeMs now_ms) {
  wire::JobSpec spec;
  spec.set_task(flags.task);
  for (const std::string& arg : flags.args) {
    // JSON text is UTF-8: other bytes would reach the task as U+FFFD.
    if (!IsValidUtf8(arg)) {
      const std::string key = arg.substr(0, arg.find('='));
      return absl::InvalidArgumentError(absl::StrCat(
          "--arg ", IsValidUtf8(key) ? absl::StrCat("'", key, "=...' ") : "",
          "is not UTF-8 text; task arguments are JSON, so pass binary data encoded (base64, "
          "say)"));
    }
  }
  absl::StatusOr<nlohmann::ordered_json> args = BuildArgsObject(flags.json, flags.args);
  if (!args.ok()) {
    return args.status();
  }
  spec.set_payload(args->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  spec.set_content_type(std::string(kJsonContentType));
  spec.set_queue(flags.queue);
  spec.set_priority(flags.priority);
  if (flags.kind) {
    absl::StatusOr<wire::Kind> kind = ParseKind(*flags.kind);
    if (!kind.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--kind ", kind.status().message()));
    }
    spec.set_kind(*kind);
  }
  if (flags.timeout_seconds) {
    absl::StatusOr<int64_t> timeout_ms = TimeoutSecondsToMs(*flags.timeout_seconds);
    if (!timeout_ms.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--timeout ", timeout_ms.status().message()));
    }
    spec.set_timeout_ms(*timeout_ms);
  }
  if (flags.retries) {
    absl::StatusOr<uint32_t> max_attempts = RetriesToMaxAttempts(*flags.retries);
    if (!max_attempts.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--retries ", max_attempts.status().message()));
    }
    spec.set_max_attempts(*max_attempts);
  }
  if (!flags.backoff.empty()) {
    absl::StatusOr<int64_t> backoff_ms = ParseDurationMs(flags.backoff);
    if (!backoff_ms.ok() || *backoff_ms <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--backoff ", backoff_ms.ok() ? "must be positive" : backoff_ms.status().message()));
    }
    spec.set_backoff_ms(*backoff_ms);
  }
  // CLI11 refuses both on the command line; this keeps callers that fill
  // SubmitFlags themselves from getting one silently.
  if (!flags.delay.empty() && !flags.at.empty()) {
    return absl::InvalidArgumentError("give either --delay or --at, not both");
  }
  if (!flags.delay.empty()) {
    absl::StatusOr<int64_t> not_before_ms = DelayToNotBeforeMs(flags.delay, now_ms);
    if (!not_before_ms.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--delay ", not_before_ms.status().message()));
    }
    spec.set_not_before_ms(*not_before_ms);
  }
  if (!flags.at.empty()) {
    absl::StatusOr<int64_t> not_before_ms = AtToNotBeforeMs(flags.at, now_ms);
    if (!not_before_ms.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--at ", not_before_ms.status().message()));
    }
    spec.set_not_before_ms(*not_before_ms);
  }
  spec.set_idempotency_key(flags.key);
  spec.set_sentinel(flags.sentinel);
  if (!flags.on_parent_failure.empty() && flags.after.empty()) {
    return absl::InvalidArgumentError("--on-parent-failure needs --after");
  }
  if (!flags.after.empty()) {
    absl::StatusOr<std::vector<JobId>> parents = ParseJobIdArgs(flags.after);
    if (!parents.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--after: ", parents.status().message()));
    }
    if (flags.on_parent_failure != "" && flags.on_parent_failure != "cancel" &&
        flags.on_parent_failure != "run") {
      return absl::InvalidArgumentError("--on-parent-failure must be cancel or run");
    }
    AddParents(
        spec, *parents,
        flags.on_parent_failure == "run" ? wire::PARENT_FAILURE_RUN : wire::PARENT_FAILURE_CANCEL);
  }
  return spec;
}

int RunSubmit(const SubmitFlags& flags, const GlobalFlags& global) {
  if (flags.task.empty() == flags.file.empty()) {
    PrintError(flags.task.empty() ? "submit needs a TASK or --file FILE; see jobq submit --help"
                                  : "give either a TASK or --file FILE, not both");
    return kExitUsage;
  }
  absl::StatusOr<ClientOptions> client_options = MakeClientOptions(global, flags.broker);
  if (!client_options.ok()) {
    PrintError(client_options.status().message());
    return kExitUsage;
  }
  absl::StatusOr<JobInput> input = OpenInput(flags);
  if (!input.ok()) {
    PrintError(input.status().message());
    return kExitUsage;
  }
  if (input->total() == 0u) {
    PrintError(absl::StrCat(input->name(), " has no jobs; nothing was submitted"));
    return kExitOk;
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*client_options);
  if (!client.ok()) {
    PrintError(DescribeClientFailure(client.status()));
    return kExitUsage;
  }

  std::optional<ProgressBar> bar;
  if (input->has_lines() && isatty(STDERR_FILENO)) {  // a single job needs no progress bar
    bar.emplace(stderr, input->total(), flags.wait);
  }
  LineOutput output(bar ? &*bar : nullptr);
  RunTally tally;
  uint64_t duplicates = 0;
  BulkSubmitCallbacks callbacks;
  callbacks.on_ack = [&](uint64_t, const SubmitAck& ack) {
    const std::optional<uint64_t> line = input->PopLineOfAck();
    tally.CountAck(ack);
    if (!ack.accepted()) {
      output.Print(FormatRejectionLine(ack.error, line));
      return;
    }
    if (ack.duplicate) {
      ++duplicates;
      if (!input->has_lines()) {
        // For a person: stdout is for scripts, and with --wait it carries
        // only the outcome, which does not tell that an earlier job answered.
        PrintError(FormatDuplicateNote(*ack.id));
      }
    }
    if (!flags.wait) {
      output.Print(FormatAckLine(*ack.id, ack.duplicate));
    }
  };
  callbacks.on_outcome = [&](uint64_t, const Outcome& outcome) {
    tally.CountOutcome(outcome);
    output.Print(FormatOutcomeLine(outcome));
    output.Flush();  // outcomes are shown as they happen
  };
  callbacks.on_progress = [&](const BulkProgress& progress) {
    output.Flush();
    if (bar) {
      bar->Update(progress);
    }
  };
  // Kept to tell a bad input line (usage) from a client failure below.
  absl::Status input_error;
  JobSource source = [&]() -> absl::StatusOr<std::optional<JobSpec>> {
    absl::StatusOr<std::optional<JobSpec>> job = input->Next();
    if (!job.ok()) {
      input_error = job.status();
    }
    return job;
  };
  BulkSubmitOptions bulk_options;
  bulk_options.notify = flags.wait;
  const absl::Status status = BulkSubmit(**client, source, bulk_options, callbacks);
  output.Flush();
  if (duplicates > 0 && input->has_lines()) {
    PrintError(absl::StrCat(duplicates, duplicates == 1 ? " job was" : " jobs were",
                            " already submitted with the same key; nothing new was created "
                            "for them"));
  }

  if (!status.ok()) {
    if (!input_error.ok() && status == input_error) {
      // Only when the input changed after it was validated.
      PrintError(absl::StrCat(status.message(), "; the jobs before it were submitted"));
    } else {
      PrintError(DescribeClientFailure(status));
    }
  }
  return tally.ExitCode(status);
}

}  // namespace jobq::cli
