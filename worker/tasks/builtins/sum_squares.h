#pragma once
// sum_squares (cpu): the reference's cpu_intensive_task, Σ i² for 0 <= i < n,
// computed by the loop (the point is to burn CPU), exactly.
//   args   {"n": N}                 integer, 0 <= N <= kMaxSumSquaresN
//   result {"n": N, "sum": "S"}     S is the exact decimal; a string, because it
//                                    exceeds 2^53, which JSON readers keep exactly
// Fails with "bad_args" for a bad n, "cancelled" when its token is set (checked
// every kSumSquaresCheckEvery terms). Stateless, so thread-safe.

#include <cstdint>
#include <string>

#include "worker/tasks/task_context.h"

namespace jobq::worker {

// 10^12: the sum is below 2^128 (it is about n³/3 = 3.3e35), and the loop
// already takes minutes.
inline constexpr int64_t kMaxSumSquaresN = 1'000'000'000'000;
inline constexpr uint64_t kSumSquaresCheckEvery = uint64_t{1} << 20;

std::string SumSquaresTask(TaskContext& context);

// The decimal digits of `value`, for numbers wider than any printf format.
std::string Uint128ToDecimal(unsigned __int128 value);

}  // namespace jobq::worker
