#pragma once
// The core's live state of one limit (limits.cpp): its record, its token
// bucket and how many of its jobs run. Owned by BrokerCore; not
// thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "broker/core/limit_record.h"
#include "broker/core/token_bucket.h"

namespace jobq::broker::core {

struct LimitState {
  LimitRecord record;
  std::optional<TokenBucket> bucket;  // exactly when record has a rate
  int64_t running = 0;                // its jobs running now (Transition keeps it)
  // The most that may run: the cap, or more while jobs that ran before the
  // cap was set, lowered or restored are still running.
  int64_t running_allowed = 0;
};

// A queue's limits: its own, and its tasks'.
struct QueueLimits {
  std::optional<LimitState> whole;
  std::map<std::string, LimitState, std::less<>> by_task;
};

}  // namespace jobq::broker::core
