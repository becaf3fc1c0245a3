#pragma once
// Waiting in tests without sleeping: poll a condition until a generous
// deadline. The deadline only turns a hang into a failure; no test asserts
// how long anything took.

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <thread>

namespace jobq::worker::testing {

inline constexpr std::chrono::seconds kTestDeadline{20};

// JOBQ_TEST_TIME_SCALE (an integer, default 1), which scripts/sanitize sets:
// the sanitized builds run several times slower, so the deadlines, and the
// protocol timings a test gives the worker (heartbeats, liveness), are
// multiplied by it. As tests/support's Scaled, for the tests that do not
// link that library.
inline int TimeScale() {
  static const int scale = [] {
    const char* text = std::getenv("JOBQ_TEST_TIME_SCALE");
    const int value = text == nullptr ? 1 : std::atoi(text);
    return value >= 1 ? value : 1;
  }();
  return scale;
}

inline std::chrono::milliseconds Scaled(std::chrono::milliseconds duration) {
  return duration * TimeScale();
}

inline std::chrono::milliseconds TestDeadline() { return Scaled(kTestDeadline); }

// True once `condition` holds; false if it still does not at the deadline.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds within = TestDeadline()) {
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
bool IsReadyBy(std::future<T>& future, std::chrono::milliseconds within = TestDeadline()) {
  return future.wait_for(within) == std::future_status::ready;
}

}  // namespace jobq::worker::testing
