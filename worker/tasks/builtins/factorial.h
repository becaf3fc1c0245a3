#pragma once
// factorial (cpu): n!, exactly (GMP), after the reference's factorial.
//   args   {"n": N}                              integer, 0 <= N <= kMaxFactorialN
//   result {"n": N, "digits": D, "value": "V"}   V is the exact decimal, D its length
// Fails with "bad_args" for a bad n, "cancelled" when its token is set (checked
// between the product and its conversion to decimal; each step takes at most
// tens of milliseconds at the maximum). Stateless, so thread-safe.

#include <cstdint>
#include <string>

#include "worker/tasks/task_context.h"

namespace jobq::worker {

// 100000! has 456574 digits: a result of about half a megabyte, the most a
// job result should carry.
inline constexpr int64_t kMaxFactorialN = 100'000;

std::string FactorialTask(TaskContext& context);

}  // namespace jobq::worker
