#pragma once
// TaskContext: what a running task sees of its job — identity, arguments,
// deadline and cancellation. One context per run, created by RunJob() and
// handed to the task function by reference; it lives until the function
// returns.
//
// Not thread-safe, except IsCancelled()/SleepFor(), which read the shared
// cancellation token: a task that starts threads of its own passes them
// what they need, not the context.

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "worker/tasks/cancellation_token.h"

namespace jobq::worker {

inline constexpr char kJsonContentType[] = "application/json";

// The job as the task sees it.
struct TaskInput {
  std::string job_id;  // canonical text form, for messages and logs
  std::string task;    // the registered name the job asked for
  std::string queue;
  uint32_t attempt = 1;      // 1 on the first run
  std::string payload;       // the arguments, encoded as content_type says
  std::string content_type;  // "" means application/json
  TimeMs deadline_ms = 0;    // unix ms by which the job should finish; 0 = none
};

// Where a task's progress reports go (the worker's throttle, then PROGRESS);
// called on the task's thread. Already checked: total 0 or done <= total,
// message valid UTF-8 of at most kProgressMessageBytesMax bytes.
using ProgressSink = std::function<void(uint64_t done, uint64_t total, std::string message)>;

class TaskContext {
 public:
  // `cancel` must outlive the context. Without `progress`, reports go nowhere.
  TaskContext(TaskInput input, const CancellationToken& cancel, ProgressSink progress = nullptr)
      : input_(std::move(input)), cancel_(cancel), progress_(std::move(progress)) {}
  TaskContext(const TaskContext&) = delete;
  TaskContext& operator=(const TaskContext&) = delete;

  const std::string& job_id() const { return input_.job_id; }
  const std::string& task() const { return input_.task; }
  const std::string& queue() const { return input_.queue; }
  uint32_t attempt() const { return input_.attempt; }
  const std::string& payload() const { return input_.payload; }
  const std::string& content_type() const { return input_.content_type; }
  TimeMs deadline_ms() const { return input_.deadline_ms; }

  // The payload parsed as JSON; an empty payload is the empty object, as a
  // job submitted without arguments carries none. Parsed on first use.
  // Throws TaskError "bad_args" when the content type is not JSON, the
  // payload does not parse, or it nests deeper than kJsonDepthMax
  // (common/json_depth.h); the message names the task.
  const nlohmann::json& Args();

  bool IsCancelled() const { return cancel_.IsCancelled(); }
  // Sleeps for `duration` unless cancelled first; false when cancelled.
  bool SleepFor(std::chrono::nanoseconds duration) const { return cancel_.SleepFor(duration); }
  // The token itself, for helpers that watch it while they wait on
  // something else (a child process, a transfer). Valid while the task runs.
  const CancellationToken& cancellation_token() const { return cancel_; }

  // Reports how far the job has got: `done` of `total` (total 0: not
  // known), with a line for people. Cheap to call often: the worker sends
  // at most 10 reports a second per job, always the latest one, and the
  // last before the job's result (docs/protocol.md, PROGRESS). A message
  // over 256 bytes is cut (at a character boundary), and bytes that are not
  // UTF-8 are replaced by '?'. Throws std::invalid_argument when total is
  // not 0 and done exceeds it: a bug in the task, which fails the job.
  void ReportProgress(uint64_t done, uint64_t total, std::string_view message = "");

 private:
  TaskInput input_;
  const CancellationToken& cancel_;
  ProgressSink progress_;
  std::optional<nlohmann::json> args_;
};

}  // namespace jobq::worker
