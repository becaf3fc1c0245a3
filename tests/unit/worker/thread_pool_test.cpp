#include "worker/pools/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "tests/support/wait_for.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::TestDeadline;

// Closures that park until released, counting how many are parked at once.
class Gate {
 public:
  ThreadPool::Work Parker() {
    return [this] {
      std::unique_lock<std::mutex> lock(mutex_);
      ++parked_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
    };
  }
  bool WaitUntilParked(int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, TestDeadline(), [&] { return parked_ >= count; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int parked_ = 0;
  bool open_ = false;
};

TEST(ThreadPoolTest, RunsEverySubmittedClosureBeforeStopReturns) {
  constexpr int kJobs = 200;
  ThreadPool pool("test", 3, kJobs);
  std::atomic<int> ran{0};
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&ran] { ran.fetch_add(1); }));
  }
  // The sentinels queue behind the work, so Stop() drains it first.
  pool.Stop();
  EXPECT_EQ(ran.load(), kJobs);
}

TEST(ThreadPoolTest, ConcurrencyReachesThreadCount) {
  constexpr int kThreads = 4;
  ThreadPool pool("test", kThreads, kThreads);
  Gate gate;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(pool.TrySubmit(gate.Parker()));
  }
  const bool all_parked = gate.WaitUntilParked(kThreads);
  gate.Open();  // before asserting, so a failure does not hang Stop()
  EXPECT_TRUE(all_parked) << "fewer than " << kThreads << " closures ran at once";
  pool.Stop();
}

TEST(ThreadPoolTest, RefusesWorkBeyondQueueBound) {
  ThreadPool pool("test", 1, 2);
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit(gate.Parker()));
  ASSERT_TRUE(gate.WaitUntilParked(1));  // the only thread is busy now
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {})) << "a third waiting closure exceeds queue_max 2";
  gate.Open();
  pool.Stop();
}

TEST(ThreadPoolTest, StopIsIdempotentAndRefusesLaterWork) {
  ThreadPool pool("test", 2, 4);
  pool.Stop();
  pool.Stop();
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

TEST(ThreadPoolTest, ThrowingClosureDoesNotEndItsThread) {
  ThreadPool pool("test", 1, 4);
  std::atomic<bool> ran_after{false};
  ASSERT_TRUE(pool.TrySubmit([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(pool.TrySubmit([&ran_after] { ran_after = true; }));
  pool.Stop();
  EXPECT_TRUE(ran_after.load());
}

}  // namespace
}  // namespace jobq::worker
