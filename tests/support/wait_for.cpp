#include "tests/support/wait_for.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace jobq::testing {

std::chrono::milliseconds Scaled(std::chrono::milliseconds duration) {
  static const int scale = [] {
    const char* text = std::getenv("JOBQ_TEST_TIME_SCALE");
    const int value = text == nullptr ? 1 : std::atoi(text);
    return value >= 1 ? value : 1;
  }();
  return duration * scale;
}

std::chrono::milliseconds TestDeadline() { return Scaled(std::chrono::seconds(20)); }

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + Scaled(timeout);
  // Short at first, for conditions that hold within microseconds; longer
  // later, so that a costly condition (a CLI run, a file read) does not
  // take a core from the programs under test.
  std::chrono::microseconds pause(100);
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
  return true;
}

bool Settle(ManualClock& clock) {
  for (int round = 0; round < 2; ++round) {
    const uint64_t sleeps = clock.sleeps();
    clock.AdvanceMs(0);
    if (!WaitFor([&] { return clock.sleeps() > sleeps; })) {
      return false;
    }
  }
  return true;
}

}  // namespace jobq::testing
