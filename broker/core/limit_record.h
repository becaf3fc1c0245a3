#pragma once
// LimitRecord: one rate limit and/or concurrency cap as the operator set it
// (`jobq limit QUEUE [--task NAME] --rate R [--burst N] [--concurrency N]`),
// for a whole queue (task empty) or for one task's jobs in a queue. What the
// store keeps and Effects carries; the core's live state (bucket, running
// count) is built from it. A plain value; thread-compatible.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "broker/core/rate_limit.h"
#include "common/clock.h"

namespace jobq::broker::core {

// Limits one broker keeps, at most (queue and task limits together), and
// the longest queue or task name a limit may name.
inline constexpr size_t kLimitsMax = 10'000;
inline constexpr size_t kLimitNameBytesMax = 256;

struct LimitRecord {
  std::string queue;
  std::string task;         // empty: every job of the queue
  RateSpec rate;            // count 0: no rate limit
  int64_t burst = 0;        // with a rate: 1 to kBurstMax; else 0
  int64_t concurrency = 0;  // 0: no cap; else 1 to kConcurrencyMax
  // In Effects only: the limit was removed (the store deletes its row).
  bool cleared = false;

  bool has_rate() const { return rate.count != 0; }
  friend bool operator==(const LimitRecord&, const LimitRecord&) = default;
};

// A limit as ListLimits shows it: the record and its state now.
struct LimitView {
  LimitRecord record;
  int64_t running = 0;  // its jobs running now
  int64_t tokens = 0;   // in its bucket now (rate limits)
  // Its next job cannot start now: its cap is full, or its bucket empty
  // until next_token_ms (0 when the cap holds it).
  bool limited = false;
  TimeMs next_token_ms = 0;
};

// OK when `record` can be kept: a queue name; a rate or a cap (or both);
// each within its bounds; a burst only with a rate. Otherwise
// INVALID_ARGUMENT saying which part is wrong and what to give instead.
absl::Status CheckLimit(const LimitRecord& record);

// "queue" or "queue, task T", for messages.
std::string LimitName(const std::string& queue, const std::string& task);

}  // namespace jobq::broker::core
