#pragma once
// The tasks every worker has (DESIGN §7, §10a "Built-in task arguments"):
//   noop  (io)  {}           -> null
//   echo  (io)  {...}        -> its arguments, unchanged
//   sleep (io)  {seconds}    -> {"slept": seconds}; waits interruptibly, so a
//                               CANCEL ends it early with error "cancelled"
//   fail  (io)  {message, type?} -> always fails: error type `type`, or a
//                               std::runtime_error; for demos and checks
// Bad arguments fail with error type "bad_args" and a message naming the
// argument.

#include "worker/tasks/task_registry.h"

namespace jobq::worker {

// The longest `sleep` accepts, in seconds (one year): a limit, so that a
// typo cannot park a thread for centuries.
inline constexpr double kMaxSleepSeconds = 365.0 * 24 * 3600;

// Registers the built-ins into `registry`. Call once, before any other
// registration could take their names; a clash is a programmer error.
void RegisterBuiltinTasks(TaskRegistry& registry);

}  // namespace jobq::worker
