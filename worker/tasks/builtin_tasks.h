#pragma once
// The tasks every worker has (DESIGN §7, §10a "Built-in task arguments"),
// each documented in its own header under worker/tasks/builtins/:
//   noop, echo, sleep, fail   (io)   basic_tasks.h
//   http_get                  (io)   http_get.h
//   exec                      (io)   exec_task.h
//   sum_squares               (cpu)  sum_squares.h
//   factorial                 (cpu)  factorial.h
// Bad arguments fail with error type "bad_args" and a message naming the
// argument (builtins/task_args.h).

#include <cstddef>

#include "worker/tasks/builtins/exec_task.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

// What jobq-worker's flags change in the built-ins. The worker and each of
// its CPU-pool children register them with the same options.
struct BuiltinTaskOptions {
  // exec keeps this much of each of stdout and stderr (--exec-output-max).
  size_t exec_output_max_bytes = kExecOutputMaxBytes;
};

// Registers the built-ins into `registry`, and sets up the process-wide
// state they need (libcurl's). Call once, on one thread, before any pool
// starts and before any other registration could take their names; a clash
// is a programmer error.
void RegisterBuiltinTasks(TaskRegistry& registry, const BuiltinTaskOptions& options = {});

}  // namespace jobq::worker
