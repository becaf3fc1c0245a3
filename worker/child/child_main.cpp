#include "worker/child/child_main.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "common/clock.h"
#include "common/log.h"
#include "common/time_limits.h"
#include "jobq/wire.pb.h"
#include "worker/child/child_channel.h"
#include "worker/child/child_command_line.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/plugin_loader.h"
#include "worker/tasks/run_job.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker::child {
namespace {

constexpr char kComponent[] = "worker-child";
constexpr char kErrorResultTooLarge[] = "result_too_large";

bool IsSocket(int fd) {
  struct stat info {};
  return ::fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode);
}

// The result frame of `result`; a result too large for a frame becomes an
// error, so that the job still ends with an answer.
bool QueueResult(wire::JobResult result, ChildChannel* channel) {
  if (channel->Queue(ChildFrameType::kResult, result)) {
    return true;
  }
  const size_t bytes = result.result().size();
  result.set_ok(false);
  result.clear_result();
  result.clear_content_type();
  result.mutable_error()->set_type(kErrorResultTooLarge);
  result.mutable_error()->set_message("the task's result of " + std::to_string(bytes) +
                                      " bytes is over the limit of " +
                                      std::to_string(kMaxChildFrameBytes) + " bytes");
  return channel->Queue(ChildFrameType::kResult, result);
}

// The deadline RunJob() would give the job on its own.
TimeMs DeadlineOf(const wire::DispatchedJob& job) {
  return job.timeout_ms() > 0 ? RealClock().NowMs() + ClampTimeoutMs(job.timeout_ms()) : 0;
}

// Serves jobs until STOP, EOF or a protocol error; returns the exit code.
int Serve(const TaskRegistry& registry, ChildChannel& channel) {
  while (true) {
    DecodedChildFrame frame = channel.NextFrame();
    if (frame.status == FrameStatus::kIncomplete) {
      switch (channel.ReadSome()) {
        case ChildChannel::ReadStatus::kRead:
          continue;
        case ChildChannel::ReadStatus::kClosed:
          return 0;  // the worker is gone or done with us
        case ChildChannel::ReadStatus::kWouldBlock:
        case ChildChannel::ReadStatus::kFailed:
          JOBQ_LOG(kError, kComponent, "channel_failed").Kv("pid", getpid());
          return kChildExitProtocol;
      }
    }
    if (frame.status != FrameStatus::kFrame) {
      JOBQ_LOG(kError, kComponent, "bad_frame").Kv("pid", getpid()).Kv("error", frame.ErrorText());
      return kChildExitProtocol;
    }
    if (frame.type == ChildFrameType::kStop) {
      return 0;
    }
    wire::DispatchedJob job;
    if (frame.type != ChildFrameType::kJob ||
        !job.ParseFromArray(frame.body.data(), static_cast<int>(frame.body.size()))) {
      JOBQ_LOG(kError, kComponent, "bad_frame")
          .Kv("pid", getpid())
          .Kv("type", ChildFrameTypeName(frame.type))
          .Kv("bytes", frame.body.size());
      return kChildExitProtocol;
    }
    // Nobody cancels this token: the worker cancels a CPU job by killing
    // its child, which needs no cooperation from the task.
    // Each report goes to the parent at once: the worker's connection
    // throttles what reaches the broker. A parent that stopped reading is
    // seen at the result's flush below.
    ProgressSink progress = [&channel, &job](uint64_t done, uint64_t total, std::string message) {
      wire::ProgressReport report;
      report.set_id(job.id());
      report.set_attempt(job.attempt());
      report.set_done(done);
      report.set_total(total);
      report.set_message(std::move(message));
      if (channel.Queue(ChildFrameType::kProgress, report)) {
        (void)channel.Flush();
      }
    };
    CancellationToken never_cancelled;
    if (!QueueResult(RunJob(registry, job, never_cancelled, DeadlineOf(job), std::move(progress)),
                     &channel) ||
        !channel.Flush()) {
      return 0;  // the worker is gone; nobody is left to tell
    }
  }
}

}  // namespace

int ChildMain(int argc, const char* const* argv) {
  // First, so that a worker that dies from now on takes this child along.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);

  ChildOptions options;
  const ChildParse parse = ParseChildCommandLine(argc, argv, &options);
  if (!parse.ok) {
    std::cerr << "jobq-worker: " << parse.error << "\n";
    return kChildExitUsage;
  }
  if (!IsSocket(kChildChannelFd)) {
    std::cerr << "jobq-worker: " << kChildFlag
              << " is how the worker starts its CPU-pool processes, not a mode to run by hand\n";
    return kChildExitUsage;
  }
  SetLogLevel(options.log_level);

  TaskRegistry registry;
  RegisterBuiltinTasks(registry, {.exec_output_max_bytes = options.exec_output_max_bytes});
  for (const std::string& plugin : options.plugins) {
    if (absl::Status status = LoadPlugin(plugin, &registry); !status.ok()) {
      JOBQ_LOG(kError, kComponent, "plugin_failed")
          .Kv("pid", getpid())
          .Kv("plugin", plugin)
          .Kv("error", status.message());
      return kChildExitUsage;
    }
  }

  ChildChannel channel(kChildChannelFd);
  if (!channel.Queue(ChildFrameType::kReady) || !channel.Flush()) {
    return 0;
  }
  return Serve(registry, channel);
}

}  // namespace jobq::worker::child
