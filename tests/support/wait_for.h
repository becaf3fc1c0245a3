#pragma once
// Waiting in tests: poll a condition until a generous deadline. The
// deadline only turns a hang into a failure; no test asserts how long
// anything took, so a longer one changes the outcome of no test that
// passes.

#include <chrono>
#include <functional>
#include <future>

#include "common/clock.h"

namespace jobq::testing {

// `duration` times JOBQ_TEST_TIME_SCALE (an integer, default 1), which
// scripts/sanitize sets: the sanitized builds run several times slower, so
// deadlines, and the protocol timings a test gives a program (heartbeats,
// liveness), are multiplied by it.
std::chrono::milliseconds Scaled(std::chrono::milliseconds duration);

// The deadline of a wait that names none: 20 s, scaled.
std::chrono::milliseconds TestDeadline();

// True once `condition` holds; false if it still does not when `timeout`
// (scaled) has passed. Polls with short sleeps, never a fixed wait.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Whether `future` is ready within `timeout` (scaled).
template <typename T>
bool IsReadyBy(std::future<T>& future,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return future.wait_for(Scaled(timeout)) == std::future_status::ready;
}

// Until every loop sleeping on `clock` has handled what reached it before
// the call: each is woken and must go to sleep twice (the first sleep may
// end at once for what it had not yet seen). False if a loop did not.
bool Settle(ManualClock& clock);

}  // namespace jobq::testing
