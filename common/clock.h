#pragma once
// Clock: where jobq reads the time. Code that decides anything from time
// takes a `now_ms` argument or a Clock&, so tests and the simulation can run
// on FakeClock. Times are unix milliseconds: they are persisted and must mean
// the same after a restart.
//
// RealClock is thread-safe. FakeClock is not; one test thread drives it.
//
// Loops that run on their own thread and sleep in poll() between timers
// (the worker's broker connection, the client's I/O loop) read
// MonotonicClock, whose times mean nothing outside the process: a
// wall-clock step must not look like a silent broker or postpone a
// heartbeat. Their tests give them a ManualClock, which is
// thread-safe and wakes them when the test moves it (see ClockSleeper).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

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

  // For a loop that sleeps in poll() until times on this clock; ClockSleeper
  // calls these. The clock calls `wake`, from the thread that moves it,
  // whenever its time moves other than by itself. A real clock never does:
  // its time flows, and poll()'s timeout sees to that.
  virtual uint64_t AddSleeper(std::function<void()> /*wake*/) const { return 0; }
  virtual void RemoveSleeper(uint64_t /*sleeper*/) const {}
  // How long `sleeper` may stay in poll(), in real milliseconds (-1: until
  // woken), to be up by `deadline_ms` on this clock (nullopt: no deadline).
  virtual int64_t SleepMs(uint64_t /*sleeper*/, std::optional<TimeMs> deadline_ms) const {
    if (!deadline_ms.has_value()) {
      return -1;
    }
    return std::max<TimeMs>(0, *deadline_ms - NowMs());
  }
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

// Milliseconds since an arbitrary start (the boot, on Linux), never
// stepped: for timers only, never persisted or shown. Thread-safe.
class MonotonicClock final : public Clock {
 public:
  TimeMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// The process's MonotonicClock, for loops given no clock of their own.
inline const Clock& DefaultMonotonicClock() {
  static const MonotonicClock clock;
  return clock;
}

// A clock a test moves by hand while loops on other threads sleep on it.
// Thread-safe. A sleeper waits in poll() until woken, never for real time:
// moving the clock wakes every sleeper, which then runs what is due, so a
// test decides when each timer fires and no real timer length matters.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}

  TimeMs NowMs() const override {
    std::lock_guard lock(mutex_);
    return now_ms_;
  }

  // Moves the time on and wakes every sleeper; 0 only wakes them, so that
  // each goes round its loop once more.
  void AdvanceMs(TimeMs delta_ms) {
    std::lock_guard lock(mutex_);
    now_ms_ += delta_ms;
    // Under the lock, so no wake runs after its RemoveSleeper has returned.
    for (auto& [id, sleeper] : sleepers_) {
      sleeper.wake();
    }
  }

  // The earliest deadline the sleepers' latest sleeps were for; nullopt
  // when none had one. Stale while a sleeper is awake.
  std::optional<TimeMs> NextDeadlineMs() const {
    std::lock_guard lock(mutex_);
    std::optional<TimeMs> next;
    for (const auto& [id, sleeper] : sleepers_) {
      if (sleeper.deadline_ms && (!next || *sleeper.deadline_ms < *next)) {
        next = sleeper.deadline_ms;
      }
    }
    return next;
  }

  // How many times sleepers have gone to sleep. A loop that slept twice
  // after an event reached it (woken by AdvanceMs(0) if need be) has
  // handled the event: the first of those sleeps ended at once for it.
  uint64_t sleeps() const {
    std::lock_guard lock(mutex_);
    return sleeps_;
  }

  uint64_t AddSleeper(std::function<void()> wake) const override {
    std::lock_guard lock(mutex_);
    const uint64_t id = next_sleeper_++;
    sleepers_[id].wake = std::move(wake);
    return id;
  }

  void RemoveSleeper(uint64_t sleeper) const override {
    std::lock_guard lock(mutex_);
    sleepers_.erase(sleeper);
  }

  int64_t SleepMs(uint64_t sleeper, std::optional<TimeMs> deadline_ms) const override {
    std::lock_guard lock(mutex_);
    ++sleeps_;
    sleepers_[sleeper].deadline_ms = deadline_ms;
    return deadline_ms && *deadline_ms <= now_ms_ ? 0 : -1;
  }

 private:
  struct Sleeper {
    std::function<void()> wake;
    std::optional<TimeMs> deadline_ms;
  };

  mutable std::mutex mutex_;
  TimeMs now_ms_;  // guarded by mutex_, as is all below
  mutable std::map<uint64_t, Sleeper> sleepers_;
  mutable uint64_t next_sleeper_ = 1;
  mutable uint64_t sleeps_ = 0;
};

// A loop's registration with the clock its timers run on, for its life.
// The loop must read the clock only after it has emptied whatever `wake`
// makes readable, and then poll that too: a move of the clock then either
// shows in the time read or ends the poll. Not thread-safe: the loop's own.
class ClockSleeper {
 public:
  ClockSleeper(const Clock& clock, std::function<void()> wake)
      : clock_(clock), id_(clock.AddSleeper(std::move(wake))) {}
  ~ClockSleeper() { clock_.RemoveSleeper(id_); }
  ClockSleeper(const ClockSleeper&) = delete;
  ClockSleeper& operator=(const ClockSleeper&) = delete;

  // The poll() timeout in milliseconds (-1: none) for `deadline_ms`.
  int64_t PollTimeoutMs(std::optional<TimeMs> deadline_ms) const {
    return clock_.SleepMs(id_, deadline_ms);
  }

 private:
  const Clock& clock_;
  const uint64_t id_;
};

}  // namespace jobq
