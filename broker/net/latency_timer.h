#pragma once
// ScopedLatencyTimer: records the wall time of a scope, in microseconds, in
// a LatencyHistogram (the broker loop's iterations, store commits). Reads
// the steady clock, so it lives here with the adapters, not in the pure core.
// Not thread-safe: the histogram belongs to the thread using the timer.

#include <chrono>

#include "broker/core/stats.h"

namespace jobq::broker::net {

class ScopedLatencyTimer {
 public:
  explicit ScopedLatencyTimer(core::LatencyHistogram* histogram)
      : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
  ~ScopedLatencyTimer() { histogram_->Record(ElapsedUs()); }

  ScopedLatencyTimer(const ScopedLatencyTimer&) = delete;
  ScopedLatencyTimer& operator=(const ScopedLatencyTimer&) = delete;

  int64_t ElapsedUs() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }

 private:
  core::LatencyHistogram* histogram_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace jobq::broker::net
