#pragma once
// Clock: where jobq reads the time. Code that decides anything from time
// takes a `now_ms` argument or a Clock&, so tests and the simulation can run
// on FakeClock. Times are unix milliseconds: they are persisted and must mean
// the same after a restart.
//
// RealClock is thread-safe. FakeClock is not; one test thread drives it.

#include <chrono>
#include <cstdint>

namespace jobq {

using TimeMs = int64_t;  // unix time in milliseconds

// The wall clock now, for code that only shows the time (the CLI's "5 s
// ago"); code that decides from time takes a Clock.
inline TimeMs WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

class RealClock final : public Clock {
 public:
  TimeMs NowMs() const override { return WallNowMs(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  TimeMs NowMs() const override { return now_ms_; }
  void AdvanceMs(TimeMs delta_ms) { now_ms_ += delta_ms; }
  void SetMs(TimeMs now_ms) { now_ms_ = now_ms; }

 private:
  TimeMs now_ms_;
};

}  // namespace jobq
