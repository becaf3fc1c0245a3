#pragma once
// CancellationToken: how the worker asks a running task to stop early (a
// CANCEL from the broker, the worker shutting down). Cancellation is
// cooperative: a task polls IsCancelled() between steps, or waits with
// SleepFor(), which returns as soon as the token is cancelled.
//
// Thread-safe: one thread cancels while the task's thread polls or sleeps.
// Shared between them through std::shared_ptr, so neither outlives it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace jobq::worker {

class CancellationToken {
 public:
  CancellationToken() = default;
  CancellationToken(const CancellationToken&) = delete;
  CancellationToken& operator=(const CancellationToken&) = delete;

  // Marks the token cancelled and wakes every SleepFor(). Idempotent.
  void Cancel();

  bool IsCancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // Waits for `duration` (steady clock) or until cancelled, whichever comes
  // first. True when the whole duration passed, false when cancelled (also
  // when cancelled before the call).
  bool SleepFor(std::chrono::nanoseconds duration) const;

 private:
  std::atomic<bool> cancelled_{false};
  // Only for SleepFor's wake-up; the flag itself is the atomic.
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
};

}  // namespace jobq::worker
