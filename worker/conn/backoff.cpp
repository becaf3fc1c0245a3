#include "worker/conn/backoff.h"

#include <algorithm>

#include "common/check.h"

namespace jobq::worker {

Backoff::Backoff(uint32_t initial_ms, uint32_t max_ms, uint64_t seed)
    : initial_ms_(initial_ms), max_ms_(max_ms), base_ms_(initial_ms), random_(seed) {
  JOBQ_CHECK(initial_ms >= 1 && max_ms >= initial_ms) << "a backoff range must be non-empty";
}

uint32_t Backoff::NextDelayMs() {
  const uint32_t base = base_ms_;
  std::uniform_int_distribution<uint32_t> pick(base / 2, base);
  base_ms_ = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{base} * 2, max_ms_));
  ++attempts_;
  return pick(random_);
}

void Backoff::Reset() {
  base_ms_ = initial_ms_;
  attempts_ = 0;
}

}  // namespace jobq::worker
