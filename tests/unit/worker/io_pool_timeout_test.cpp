// IoPool job timeouts: reported at the deadline, exactly once, whatever the
// task does with its token; the thread stays busy until the task returns.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/pools/io_pool.h"
#include "worker/tasks/builtin_tasks.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::WaitFor;
using ::testing::HasSubstr;
using testing::MakeJob;

class Results {
 public:
  JobPool::Completion Callback() {
    return [this](wire::JobResult result) {
      std::lock_guard<std::mutex> lock(mutex_);
      results_.push_back(std::move(result));
    };
  }
  std::vector<wire::JobResult> Get() {
    std::lock_guard<std::mutex> lock(mutex_);
    return results_;
  }
  size_t size() { return Get().size(); }

 private:
  std::mutex mutex_;
  std::vector<wire::JobResult> results_;
};

wire::DispatchedJob WithTimeout(wire::DispatchedJob job, int64_t timeout_ms) {
  job.set_timeout_ms(timeout_ms);
  return job;
}

// A task that ignores its token: it returns only when the test lets it,
// and records what it saw.
class Stubborn {
 public:
  TaskFunction Function() {
    return [this](TaskContext& context) -> std::string {
      started_.store(true);
      release_.wait();
      saw_cancelled_.store(context.IsCancelled());
      returned_.store(true);
      return R"({"stubborn": "done"})";
    };
  }
  void Release() {
    std::call_once(released_, [this] { promise_.set_value(); });
  }
  bool started() const { return started_.load(); }
  bool returned() const { return returned_.load(); }
  bool saw_cancelled() const { return saw_cancelled_.load(); }

 private:
  std::once_flag released_;
  std::promise<void> promise_;
  std::shared_future<void> release_ = promise_.get_future().share();
  std::atomic<bool> started_{false};
  std::atomic<bool> returned_{false};
  std::atomic<bool> saw_cancelled_{false};
};

class IoPoolTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinTasks(registry_);
    ASSERT_TRUE(registry_.Register("stubborn", TaskKind::kIo, stubborn_.Function()).ok());
    ASSERT_TRUE(registry_
                    .Register("probe", TaskKind::kIo,
                              [this](TaskContext&) -> std::string {
                                probe_ran_.store(true);
                                return "null";
                              })
                    .ok());
  }

  // A failed assertion must not leave the pool waiting for a task nobody
  // will release.
  void TearDown() override {
    stubborn_.Release();
    pool_.reset();
  }

  IoPool& MakePool(uint32_t threads, size_t queue_max) {
    pool_ = std::make_unique<IoPool>(registry_, threads, queue_max);
    return *pool_;
  }

  TaskRegistry registry_;
  Stubborn stubborn_;
  std::atomic<bool> probe_ran_{false};
  Results results_;
  std::unique_ptr<IoPool> pool_;
};

TEST_F(IoPoolTimeoutTest, SleepPastItsTimeoutIsReportedAsTimeout) {
  IoPool& pool = MakePool(1, 1);
  auto token = std::make_shared<CancellationToken>();
  ASSERT_TRUE(pool.Submit(WithTimeout(MakeJob("sleep", R"({"seconds": 3600})"), 50), token,
                          results_.Callback()));
  ASSERT_TRUE(WaitFor([&] { return results_.size() == 1; }));
  wire::JobResult result = results_.Get()[0];
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "timeout");
  EXPECT_THAT(result.error().message(), HasSubstr("\"sleep\""));
  EXPECT_THAT(result.error().message(), HasSubstr("timeout of 50 ms"));
  EXPECT_EQ(result.id(), MakeJob("sleep", "").id());
  EXPECT_EQ(result.attempt(), 1u);
  EXPECT_TRUE(token->IsCancelled());
  pool.Stop();  // the sleep saw its token and ended; its "cancelled" is dropped
  EXPECT_EQ(results_.size(), 1u);
}

TEST_F(IoPoolTimeoutTest, ATaskIgnoringItsTokenIsStillReportedAtTheDeadlineOnce) {
  IoPool& pool = MakePool(1, 1);
  auto token = std::make_shared<CancellationToken>();
  ASSERT_TRUE(pool.Submit(WithTimeout(MakeJob("stubborn", "{}"), 50), token, results_.Callback()));
  ASSERT_TRUE(WaitFor([&] { return results_.size() == 1; }));
  // Reported while the task is still running.
  EXPECT_FALSE(stubborn_.returned());
  EXPECT_EQ(results_.Get()[0].error().type(), "timeout");
  stubborn_.Release();
  pool.Stop();  // joins the thread: the task has returned, and its outcome was dropped
  EXPECT_TRUE(stubborn_.returned());
  EXPECT_TRUE(stubborn_.saw_cancelled());
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_.Get()[0].error().type(), "timeout");
}

TEST_F(IoPoolTimeoutTest, TheThreadStaysBusyUntilTheTimedOutTaskReturns) {
  IoPool& pool = MakePool(1, 2);
  ASSERT_TRUE(pool.Submit(WithTimeout(MakeJob("stubborn", "{}", 1), 50),
                          std::make_shared<CancellationToken>(), results_.Callback()));
  ASSERT_TRUE(WaitFor([&] { return results_.size() == 1; }));
  ASSERT_TRUE(pool.Submit(MakeJob("probe", "{}", 2), std::make_shared<CancellationToken>(),
                          results_.Callback()));
  // The one thread still runs the stubborn task, so the probe waits.
  EXPECT_FALSE(probe_ran_.load());
  stubborn_.Release();
  ASSERT_TRUE(WaitFor([&] { return results_.size() == 2; }));
  EXPECT_TRUE(probe_ran_.load());
  EXPECT_TRUE(results_.Get()[1].ok());
  pool.Stop();
  EXPECT_EQ(results_.size(), 2u);
}

TEST_F(IoPoolTimeoutTest, AJobThatTimesOutWhileQueuedIsReportedAndNeverStarted) {
  IoPool& pool = MakePool(1, 2);
  ASSERT_TRUE(pool.Submit(MakeJob("stubborn", "{}", 1), std::make_shared<CancellationToken>(),
                          results_.Callback()));
  ASSERT_TRUE(WaitFor([&] { return stubborn_.started(); }));
  ASSERT_TRUE(pool.Submit(WithTimeout(MakeJob("probe", "{}", 2), 20),
                          std::make_shared<CancellationToken>(), results_.Callback()));
  ASSERT_TRUE(WaitFor([&] { return results_.size() == 1; }));
  EXPECT_EQ(results_.Get()[0].id(), MakeJob("probe", "", 2).id());
  EXPECT_EQ(results_.Get()[0].error().type(), "timeout");
  stubborn_.Release();
  pool.Stop();
  EXPECT_FALSE(probe_ran_.load());
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_.Get()[1].ok());
}

TEST_F(IoPoolTimeoutTest, AJobThatFinishesInTimeIsReportedOnceAsItEnded) {
  IoPool& pool = MakePool(2, 4);
  for (uint8_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.Submit(WithTimeout(MakeJob("echo", R"({"i": 1})", i), 60'000),
                            std::make_shared<CancellationToken>(), results_.Callback()));
    ASSERT_TRUE(WaitFor([&] { return results_.size() == i + 1u; }));
  }
  pool.Stop();
  ASSERT_EQ(results_.size(), 20u);
  for (const wire::JobResult& result : results_.Get()) {
    EXPECT_TRUE(result.ok()) << result.error().message();
  }
}

TEST_F(IoPoolTimeoutTest, TheTaskSeesTheDeadline) {
  TimeMs seen_deadline_ms = -1;
  ASSERT_TRUE(registry_
                  .Register("deadline", TaskKind::kIo,
                            [&seen_deadline_ms](TaskContext& context) -> std::string {
                              seen_deadline_ms = context.deadline_ms();
                              return "null";
                            })
                  .ok());
  IoPool& pool = MakePool(1, 1);
  const TimeMs before_ms = RealClock().NowMs();
  ASSERT_TRUE(pool.Submit(WithTimeout(MakeJob("deadline", "{}"), 60'000),
                          std::make_shared<CancellationToken>(), results_.Callback()));
  pool.Stop();
  EXPECT_GE(seen_deadline_ms, before_ms + 60'000);
  EXPECT_LE(seen_deadline_ms, RealClock().NowMs() + 60'000);
}

}  // namespace
}  // namespace jobq::worker
