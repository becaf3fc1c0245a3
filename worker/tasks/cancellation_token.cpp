#include "worker/tasks/cancellation_token.h"

namespace jobq::worker {

void CancellationToken::Cancel() {
  cancelled_.store(true, std::memory_order_release);
  // Taking the lock orders the store before a sleeper's predicate check, so
  // a sleeper cannot miss the wake-up between checking and waiting.
  std::lock_guard<std::mutex> lock(mutex_);
  wake_.notify_all();
}

bool CancellationToken::SleepFor(std::chrono::nanoseconds duration) const {
  std::unique_lock<std::mutex> lock(mutex_);
  // Deadline on the steady clock: a wall-clock jump must not stretch a sleep.
  const auto deadline = std::chrono::steady_clock::now() + duration;
  return !wake_.wait_until(lock, deadline, [this] { return IsCancelled(); });
}

}  // namespace jobq::worker
