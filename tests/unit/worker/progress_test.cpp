// Progress reports in the worker: the throttle on fake time (at most one
// report per job per interval, the latest always sent, the held one before
// the result), TaskContext::ReportProgress's checks, and the reports of both
// pools (a CPU task's travel child -> pool).

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "common/progress_limits.h"
#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/conn/progress_throttle.h"
#include "worker/conn/result_mailbox.h"
#include "worker/pools/io_pool.h"
#include "worker/pools/process_pool.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/task_context.h"

namespace jobq::worker {
namespace {

using testing::MakeJob;

wire::ProgressReport Report(const std::string& id, uint64_t done) {
  wire::ProgressReport report;
  report.set_id(id);
  report.set_attempt(1);
  report.set_done(done);
  report.set_total(100);
  return report;
}

TEST(ProgressThrottleTest, TheFirstReportGoesAtOnceAndLaterOnesWaitTheirWindow) {
  ProgressThrottle throttle(100);
  EXPECT_TRUE(throttle.Offer(Report("a", 1), 1000));
  EXPECT_FALSE(throttle.Offer(Report("a", 2), 1010));
  EXPECT_FALSE(throttle.Offer(Report("a", 3), 1050));  // replaces 2
  EXPECT_TRUE(throttle.Offer(Report("b", 1), 1050)) << "each job has its own window";
  EXPECT_EQ(throttle.NextDueMs(), 1100);
  EXPECT_TRUE(throttle.TakeDue(1099).empty());
  std::vector<wire::ProgressReport> due = throttle.TakeDue(1100);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].done(), 3u) << "the latest held report, not the first";
  EXPECT_EQ(throttle.NextDueMs(), INT64_MAX) << "nothing held any more";
  EXPECT_FALSE(throttle.Offer(Report("a", 4), 1150)) << "the window restarted at 1100";
  EXPECT_TRUE(throttle.Offer(Report("a", 5), 1200));
  EXPECT_EQ(throttle.NextDueMs(), INT64_MAX) << "a sent report drops the one held";
}

TEST(ProgressThrottleTest, AJobThatEndsHandsOverItsHeldReportAndIsForgotten) {
  ProgressThrottle throttle(100);
  EXPECT_TRUE(throttle.Offer(Report("a", 1), 0));
  EXPECT_FALSE(throttle.Offer(Report("a", 99), 5));
  std::optional<wire::ProgressReport> held = throttle.Finish("a", 1);
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->done(), 99u);
  EXPECT_EQ(throttle.jobs(), 0u);
  EXPECT_FALSE(throttle.Finish("a", 1).has_value());
  EXPECT_TRUE(throttle.Offer(Report("a", 1), 6)) << "a job seen anew starts a window";
  EXPECT_FALSE(throttle.Finish("a", 1).has_value()) << "nothing was held";
}

TEST(ProgressThrottleTest, AReportEveryMillisecondSendsTenASecond) {
  ProgressThrottle throttle(kProgressIntervalMs);
  int sent = 0;
  for (int64_t now = 0; now < 1000; ++now) {
    sent += throttle.Offer(Report("a", static_cast<uint64_t>(now)), now) ? 1 : 0;
    sent += static_cast<int>(throttle.TakeDue(now).size());
  }
  EXPECT_EQ(sent, 10);
  std::optional<wire::ProgressReport> last = throttle.Finish("a", 1);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->done(), 999u) << "the last report is never lost";
}

TEST(ResultMailboxTest, ReportsOfOneJobCoalesceAndComeWithTheResults) {
  ResultMailbox mailbox;
  for (uint64_t i = 1; i <= 1000; ++i) {
    mailbox.PostProgress(Report("a", i));
  }
  mailbox.PostProgress(Report("b", 7));
  wire::JobResult result;
  result.set_id("a");
  mailbox.Post(result);
  std::vector<wire::ProgressReport> reports;
  std::vector<wire::JobResult> results = mailbox.TakeAll(&reports);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].done(), 1000u);
  EXPECT_EQ(reports[1].done(), 7u);
  EXPECT_EQ(results.size(), 1u);
}

struct Captured {
  std::mutex mutex;
  std::vector<wire::ProgressReport> reports;
  JobPool::ProgressPost Post() {
    return [this](wire::ProgressReport report) {
      std::lock_guard lock(mutex);
      reports.push_back(std::move(report));
    };
  }
  std::vector<wire::ProgressReport> Get() {
    std::lock_guard lock(mutex);
    return reports;
  }
};

TaskInput Input() {
  TaskInput input;
  input.task = "t";
  return input;
}

TEST(TaskContextProgressTest, DoneAboveTotalThrowsAndNothingIsReported) {
  CancellationToken cancel;
  int calls = 0;
  TaskContext context(Input(), cancel, [&](uint64_t, uint64_t, std::string) { ++calls; });
  EXPECT_THROW(context.ReportProgress(11, 10), std::invalid_argument);
  EXPECT_NO_THROW(context.ReportProgress(11, 0)) << "total 0: not known";
  EXPECT_NO_THROW(context.ReportProgress(10, 10));
  EXPECT_EQ(calls, 2);
}

TEST(TaskContextProgressTest, MessagesAreCutAtACharacterAndMadeUtf8) {
  CancellationToken cancel;
  std::string seen;
  TaskContext context(Input(), cancel,
                      [&](uint64_t, uint64_t, std::string message) { seen = std::move(message); });
  // 255 ASCII bytes then a 2-byte character: it would end at byte 257.
  context.ReportProgress(1, 2, std::string(255, 'a') + "\xc3\xa9");
  EXPECT_EQ(seen, std::string(255, 'a'));
  context.ReportProgress(1, 2, "bad \xff byte, good \xc3\xa9");
  EXPECT_EQ(seen, "bad ? byte, good \xc3\xa9");
  TaskContext without(Input(), cancel);
  EXPECT_NO_THROW(without.ReportProgress(1, 2, "nowhere to go"));
}

TEST(PoolProgressTest, AnIoTaskReportsThroughItsPool) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  IoPool pool(registry, 1, 1);
  Captured captured;
  pool.SetProgressPost(captured.Post());
  std::atomic<bool> done{false};
  ASSERT_TRUE(pool.Submit(MakeJob("sleep", R"({"seconds":0.01})", 3),
                          std::make_shared<CancellationToken>(),
                          [&](wire::JobResult) { done = true; }));
  ASSERT_TRUE(jobq::testing::WaitFor([&] { return done.load(); }));
  std::vector<wire::ProgressReport> reports = captured.Get();
  ASSERT_EQ(reports.size(), 10u) << "sleep reports each tenth";
  EXPECT_EQ(reports.back().done(), 10u);
  EXPECT_EQ(reports.back().total(), 10u);
  EXPECT_EQ(reports.back().id(), MakeJob("sleep", "", 3).id());
  EXPECT_EQ(reports.back().attempt(), MakeJob("sleep", "", 3).attempt());
  pool.Stop();
}

TEST(PoolProgressTest, ACpuTaskReportsFromItsChildProcess) {
  ProcessPoolOptions options;
  options.executable = JOBQ_WORKER_BIN;
  options.children = 1;
  options.queue_max = 4;
  options.child_log_level = LogLevel::kWarning;
  ProcessPool pool(options);
  Captured captured;
  pool.SetProgressPost(captured.Post());
  std::atomic<bool> done{false};
  wire::DispatchedJob job = MakeJob("sum_squares", R"({"n":3145728})", 4);  // 3 blocks
  job.set_kind(wire::KIND_CPU);
  ASSERT_TRUE(pool.Submit(job, std::make_shared<CancellationToken>(),
                          [&](wire::JobResult) { done = true; }));
  ASSERT_TRUE(jobq::testing::WaitFor([&] { return done.load(); }));
  std::vector<wire::ProgressReport> reports = captured.Get();
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports.back().done(), 3145728u);
  EXPECT_EQ(reports.back().total(), 3145728u);
  EXPECT_EQ(reports.back().id(), job.id());
  pool.Stop();
}

}  // namespace
}  // namespace jobq::worker
