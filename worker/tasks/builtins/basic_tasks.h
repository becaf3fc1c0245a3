#pragma once
// The small built-in tasks, for demos, checks and tests (DESIGN §10a):
//   noop  (io)  {}                -> null
//   echo  (io)  {...}             -> its arguments, unchanged
//   sleep (io)  {seconds}         -> {"slept": seconds}; waits interruptibly, so a
//                                    CANCEL ends it early with error "cancelled"
//   fail  (io)  {message?, type?} -> always fails: error type `type`, or a
//                                    std::runtime_error; to see how failures travel
// Stateless, so thread-safe.

#include <string>

#include "worker/tasks/task_context.h"

namespace jobq::worker {

// The longest `sleep` accepts, in seconds (one year): a limit, so that a
// typo cannot park a thread for centuries.
inline constexpr double kMaxSleepSeconds = 365.0 * 24 * 3600;

std::string NoopTask(TaskContext& context);
std::string EchoTask(TaskContext& context);
std::string SleepTask(TaskContext& context);
std::string FailTask(TaskContext& context);

}  // namespace jobq::worker
