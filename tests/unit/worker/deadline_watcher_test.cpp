#include "worker/pools/deadline_watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "tests/support/wait_for.h"

namespace jobq::worker {
namespace {

using Clock = DeadlineWatcher::Clock;
using ::jobq::testing::WaitFor;

TEST(DeadlineWatcherTest, FiresAPassedDeadline) {
  DeadlineWatcher watcher;
  std::atomic<int> fired{0};
  watcher.Watch(Clock::now(), [&] { fired.fetch_add(1); });
  ASSERT_TRUE(WaitFor([&] { return fired.load() == 1; }));
  EXPECT_EQ(watcher.PendingForTest(), 0u);
}

TEST(DeadlineWatcherTest, FiresInDeadlineOrder) {
  DeadlineWatcher watcher;
  std::mutex mutex;
  std::vector<int> order;
  auto record = [&](int n) {
    return [&, n] {
      std::lock_guard<std::mutex> lock(mutex);
      order.push_back(n);
    };
  };
  // All three already passed when watched. The first holds the watcher's
  // thread until the other two are both watched, so that the thread cannot
  // fire the later one before it knows of the earlier (TSan's scheduling
  // found that).
  std::promise<void> both_watched;
  std::shared_future<void> gate = both_watched.get_future().share();
  const Clock::time_point now = Clock::now();
  watcher.Watch(now - std::chrono::seconds(3), [gate] { gate.wait(); });
  watcher.Watch(now - std::chrono::seconds(1), record(2));
  watcher.Watch(now - std::chrono::seconds(2), record(1));
  both_watched.set_value();
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return order.size() == 2;
  }));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(DeadlineWatcherTest, AFutureDeadlineFiresOnceItPasses) {
  DeadlineWatcher watcher;
  std::atomic<bool> fired{false};
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(20);
  watcher.Watch(deadline, [&] { fired.store(true); });
  ASSERT_TRUE(WaitFor([&] { return fired.load(); }));
  EXPECT_GE(Clock::now(), deadline);
}

TEST(DeadlineWatcherTest, CancelledDeadlineNeverFires) {
  DeadlineWatcher watcher;
  std::atomic<bool> fired{false};
  DeadlineWatcher::Handle handle =
      watcher.Watch(Clock::now() + std::chrono::hours(1), [&] { fired.store(true); });
  EXPECT_EQ(watcher.PendingForTest(), 1u);
  EXPECT_TRUE(watcher.Cancel(handle));
  EXPECT_EQ(watcher.PendingForTest(), 0u);
  EXPECT_FALSE(watcher.Cancel(handle));
  watcher.Stop();
  EXPECT_FALSE(fired.load());
}

TEST(DeadlineWatcherTest, CancelAfterFiringReturnsFalse) {
  DeadlineWatcher watcher;
  std::atomic<bool> fired{false};
  DeadlineWatcher::Handle handle = watcher.Watch(Clock::now(), [&] { fired.store(true); });
  ASSERT_TRUE(WaitFor([&] { return fired.load(); }));
  EXPECT_FALSE(watcher.Cancel(handle));
  EXPECT_FALSE(watcher.Cancel(DeadlineWatcher::Handle{}));
}

TEST(DeadlineWatcherTest, StopDropsPendingDeadlinesAndLaterWatches) {
  DeadlineWatcher watcher;
  std::atomic<int> fired{0};
  watcher.Watch(Clock::now() + std::chrono::hours(1), [&] { fired.fetch_add(1); });
  watcher.Stop();
  EXPECT_EQ(watcher.PendingForTest(), 0u);
  DeadlineWatcher::Handle late = watcher.Watch(Clock::now(), [&] { fired.fetch_add(1); });
  EXPECT_EQ(late.sequence, 0u);
  EXPECT_EQ(watcher.PendingForTest(), 0u);
  watcher.Stop();  // idempotent
  EXPECT_EQ(fired.load(), 0);
}

TEST(DeadlineWatcherTest, ACallbackMayWatchAgain) {
  DeadlineWatcher watcher;
  std::atomic<int> fired{0};
  watcher.Watch(Clock::now(), [&] {
    fired.fetch_add(1);
    watcher.Watch(Clock::now(), [&] { fired.fetch_add(1); });
  });
  ASSERT_TRUE(WaitFor([&] { return fired.load() == 2; }));
}

}  // namespace
}  // namespace jobq::worker
