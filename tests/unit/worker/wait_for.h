#pragma once
// Waiting in tests without sleeping: poll a condition until a generous
// deadline. The deadline only turns a hang into a failure; no test asserts
// how long anything took.

#include <chrono>
#include <functional>
#include <future>
#include <thread>

namespace jobq::worker::testing {

inline constexpr std::chrono::seconds kTestDeadline{20};

// True once `condition` holds; false if it still does not at the deadline.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds within = kTestDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

template <typename T>
bool IsReadyBy(std::future<T>& future, std::chrono::milliseconds within = kTestDeadline) {
  return future.wait_for(within) == std::future_status::ready;
}

}  // namespace jobq::worker::testing
