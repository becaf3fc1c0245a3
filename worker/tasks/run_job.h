#pragma once
// RunJob: runs one dispatched job on the calling thread and turns whatever
// happens into a wire::JobResult. Never throws: every exception from task
// code becomes the job's error, so no exception escapes a pool thread.
//
//   unknown task            -> "unknown_task", message lists the registered tasks
//   TaskError               -> its type, message and detail
//   other std::exception    -> "exception", what(); ErrorInfo.exception the demangled
//                              dynamic type ("std::runtime_error")
//   anything else thrown    -> "exception", no class
//   result not JSON text    -> "bad_result"
//
// Thread-safe: any number of pool threads may run jobs against one registry.

#include <string>

#include "jobq/wire.pb.h"
#include "worker/tasks/cancellation_token.h"
#include "worker/tasks/task_context.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

inline constexpr char kErrorBadResult[] = "bad_result";

// Runs `job`; the task sees `cancel` as its cancellation token. Fills id,
// attempt, ok, result + content_type (JSON) or error, and run_time_us. The
// task's deadline is now + the job's timeout_ms (none when it is 0).
wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job,
                       const CancellationToken& cancel);

// Same, with the deadline (unix ms, 0 = none) given by a caller that
// enforces it, so that the task and its enforcer agree on one instant.
wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job,
                       const CancellationToken& cancel, TimeMs deadline_ms);

// The result RunJob() would give for `job` failing with `type`/`message`,
// for failures decided outside the task (a timeout, a refused job).
wire::JobResult ErrorResult(const wire::DispatchedJob& job, std::string type, std::string message);

// Same, with the task's progress reports going to `progress`.
wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job,
                       const CancellationToken& cancel, TimeMs deadline_ms, ProgressSink progress);

// Same, with a token nobody cancels.
wire::JobResult RunJob(const TaskRegistry& registry, const wire::DispatchedJob& job);

}  // namespace jobq::worker
