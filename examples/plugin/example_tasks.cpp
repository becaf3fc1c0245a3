// An example task plugin: two tasks in a shared library that
// `jobq-worker --plugin libjobq_example_tasks.so` loads (see README.md).
//   word_count   (io)   {"text": "..."} -> {"lines": L, "words": W, "bytes": B}, as wc counts
//   primes_below (cpu)  {"n": N}        -> {"n": N, "count": C}, the primes p < N
//                                          (0 <= N <= 100000000), by a sieve
// and the workflow steps of workflow_tasks.h: checksum, store, sum_parts.

#include <cstdint>
#include <string>
#include <vector>

#include "examples/plugin/workflow_tasks.h"
#include "worker/tasks/plugin_api.h"

namespace {

using jobq::worker::TaskContext;
using jobq::worker::TaskError;

constexpr int64_t kMaxPrimesBelowN = 100'000'000;

std::string WordCount(TaskContext& context) {
  const nlohmann::json& args =
      jobq::worker::RequireObject(context.Args(), "word_count", R"({"text": "a b c"})");
  const std::string text = jobq::worker::RequireString(args, "word_count", "text");
  int64_t lines = 0;
  int64_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
    lines += c == '\n' ? 1 : 0;
    words += !space && !in_word ? 1 : 0;
    in_word = !space;
  }
  return nlohmann::json{{"lines", lines}, {"words", words}, {"bytes", text.size()}}.dump();
}

std::string PrimesBelow(TaskContext& context) {
  const nlohmann::json& args =
      jobq::worker::RequireObject(context.Args(), "primes_below", R"({"n": 1000})");
  const int64_t n = jobq::worker::RequireInt(args, "primes_below", "n", 0, kMaxPrimesBelowN);
  if (n <= 2) {
    return nlohmann::json{{"n", n}, {"count", 0}}.dump();
  }
  // composite[i] is about the odd number 2i + 1; 2 is counted apart.
  std::vector<bool> composite(static_cast<size_t>((n + 1) / 2), false);
  for (int64_t p = 3; p * p < n; p += 2) {
    if (composite[static_cast<size_t>(p / 2)]) {
      continue;
    }
    // A CPU task is killed at its deadline, but a CANCEL only sets the
    // token: look at it now and then.
    if (context.IsCancelled()) {
      throw TaskError(jobq::worker::kErrorCancelled,
                      "primes_below: cancelled while sieving at " + std::to_string(p));
    }
    for (int64_t multiple = p * p; multiple < n; multiple += 2 * p) {
      composite[static_cast<size_t>(multiple / 2)] = true;
    }
  }
  int64_t count = 1;  // 2
  for (int64_t odd = 3; odd < n; odd += 2) {
    count += composite[static_cast<size_t>(odd / 2)] ? 0 : 1;
  }
  return nlohmann::json{{"n", n}, {"count", count}}.dump();
}

}  // namespace

extern "C" void jobq_register_tasks_v1(jobq::worker::TaskRegistry* registry, absl::Status* status) {
  *status = registry->Register("word_count", jobq::worker::TaskKind::kIo, WordCount);
  if (status->ok()) {
    *status = registry->Register("primes_below", jobq::worker::TaskKind::kCpu, PrimesBelow);
  }
  if (status->ok()) {
    *status =
        registry->Register("checksum", jobq::worker::TaskKind::kIo, jobq_example::ChecksumTask);
  }
  if (status->ok()) {
    *status = registry->Register("store", jobq::worker::TaskKind::kIo, jobq_example::StoreTask);
  }
  if (status->ok()) {
    *status =
        registry->Register("sum_parts", jobq::worker::TaskKind::kIo, jobq_example::SumPartsTask);
  }
}
