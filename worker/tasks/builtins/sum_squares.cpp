#include "worker/tasks/builtins/sum_squares.h"

#include <algorithm>

#include "worker/tasks/builtins/task_args.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {

std::string SumSquaresTask(TaskContext& context) {
  const nlohmann::json& args = RequireObject(context.Args(), "sum_squares", R"({"n": 1000000})");
  const auto n = static_cast<uint64_t>(RequireInt(args, "sum_squares", "n", 0, kMaxSumSquaresN));
  unsigned __int128 sum = 0;
  uint64_t i = 0;
  while (i < n) {
    // Checking the token once per block keeps the inner loop free of atomics.
    const uint64_t block_end = std::min(n, i + kSumSquaresCheckEvery);
    for (; i < block_end; ++i) {
      // i² overflows 64 bits once i > 2^32, so square in 128.
      const auto wide = static_cast<unsigned __int128>(i);
      sum += wide * wide;
    }
    context.ReportProgress(i, n);
    if (context.IsCancelled()) {
      throw TaskError(kErrorCancelled, "sum_squares: cancelled after " + std::to_string(i) +
                                           " of " + std::to_string(n) + " terms");
    }
  }
  return nlohmann::json{{"n", n}, {"sum", Uint128ToDecimal(sum)}}.dump();
}

std::string Uint128ToDecimal(unsigned __int128 value) {
  if (value == 0) {
    return "0";
  }
  std::string digits;
  while (value != 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace jobq::worker
