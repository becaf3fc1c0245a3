#pragma once
// Backoff: how long the worker waits before reconnecting to a broker that
// went quiet. Exponential (each wait doubles up to a cap) so a broker that
// is down is not hammered, with jitter so the many workers that lost the
// same broker at the same moment do not all come back in the same
// millisecond. Seeded, so tests and simulations can replay it.
//
// Not thread-safe; the connection thread owns one.

#include <cstdint>
#include <random>

namespace jobq::worker {

class Backoff {
 public:
  // First base wait `initial_ms` (>= 1), capped at `max_ms` (>= initial_ms).
  Backoff(uint32_t initial_ms, uint32_t max_ms, uint64_t seed);

  // The next wait: a uniform pick in [base/2, base], after which base
  // doubles (up to the cap).
  uint32_t NextDelayMs();

  // Back to the initial wait, after the broker has answered.
  void Reset();

  // Waits handed out since construction or the last Reset().
  uint32_t attempts() const { return attempts_; }

 private:
  const uint32_t initial_ms_;
  const uint32_t max_ms_;
  uint32_t base_ms_;
  uint32_t attempts_ = 0;
  std::mt19937_64 random_;
};

}  // namespace jobq::worker
