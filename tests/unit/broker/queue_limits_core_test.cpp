// Rate limits and concurrency caps in BrokerCore (broker/core/limits.cpp) on
// a fake clock: global across workers, released on every way out of
// running, composed with pauses and priorities, a limited queue never
// holding back another queue of the same worker, Tick waking at the next
// token, status showing `limited`, and limits restored after a restart.

#include <gtest/gtest.h>

#include <functional>

#include "broker/core/broker_core.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;
using ::jobq::testing::IdOf;
using ::jobq::testing::Tasks;

LimitRecord Rate(const std::string& queue, int64_t count, int64_t period_ms, int64_t burst,
                 const std::string& task = "") {
  LimitRecord record;
  record.queue = queue;
  record.task = task;
  record.rate = {count, period_ms};
  record.burst = burst;
  return record;
}

LimitRecord Cap(const std::string& queue, int64_t concurrency, const std::string& task = "") {
  LimitRecord record;
  record.queue = queue;
  record.task = task;
  record.concurrency = concurrency;
  return record;
}

// As the loop runs an admin command: fresh effects, the command, a Tick.
void SetLimit(CoreHarness& harness, const LimitRecord& record) {
  harness.effects().Clear();
  ASSERT_TRUE(harness.core().SetLimit(record, harness.clock().NowMs(), &harness.effects()).ok());
  harness.core().Tick(harness.clock().NowMs(), &harness.effects());
  harness.core().CheckInvariants();
}

size_t DispatchedTo(CoreHarness& harness, const std::vector<std::string>& workers) {
  size_t count = 0;
  for (const std::string& worker : workers) {
    count += harness.Dispatched(worker).size();
  }
  return count;
}

admin::QueueStatus QueueStatusOf(CoreHarness& harness, const std::string& name) {
  admin::ListQueuesResponse queues;
  harness.core().FillQueues(&queues);
  for (const admin::QueueStatus& queue : queues.queues()) {
    if (queue.name() == name) {
      return queue;
    }
  }
  return {};
}

TEST(QueueLimitsCoreTest, RateIsGlobalAcrossWorkersAndTickWakesAtTheNextToken) {
  CoreHarness harness;
  harness.Hello("w1", 50);
  harness.Hello("w2", 50);
  SetLimit(harness, Rate("default", 10, 1000, 3));  // 10/s, burst 3
  harness.Submit("c", std::vector<std::string>(20, "t"));
  EXPECT_EQ(DispatchedTo(harness, {"w1", "w2"}), 3u) << "the burst, shared by both workers";

  // The next token is 100 ms away: Tick says so, and nothing starts before.
  harness.effects().Clear();
  const TimeMs now = harness.clock().NowMs();
  EXPECT_EQ(harness.core().Tick(now, &harness.effects()), now + 100);
  EXPECT_TRUE(QueueStatusOf(harness, "default").limited());
  EXPECT_EQ(QueueStatusOf(harness, "default").next_token_ms(), now + 100);
  harness.AdvanceMs(99);
  EXPECT_EQ(DispatchedTo(harness, {"w1", "w2"}), 0u);
  harness.AdvanceMs(1);
  EXPECT_EQ(DispatchedTo(harness, {"w1", "w2"}), 1u);

  // Over a second, at most burst + rate x elapsed (here: none saved up).
  size_t dispatched = 0;
  for (int ms = 0; ms < 1000; ++ms) {
    harness.AdvanceMs(1);
    dispatched += DispatchedTo(harness, {"w1", "w2"});
  }
  EXPECT_EQ(dispatched, 10u);
}

TEST(QueueLimitsCoreTest, CapIsGlobalAndEveryWayOutOfRunningFreesASlot) {
  CoreHarness harness;
  harness.Hello("w1", 10);
  harness.Hello("w2", 10);
  SetLimit(harness, Cap("default", 2));
  harness.Submit("c", std::vector<std::string>(8, "t"));
  std::vector<wire::DispatchedJob> first = harness.Dispatched("w1");
  std::vector<wire::DispatchedJob> second = harness.Dispatched("w2");
  ASSERT_EQ(first.size() + second.size(), 2u);
  const std::string holder = first.empty() ? "w2" : "w1";
  wire::DispatchedJob running = first.empty() ? second[0] : first[0];

  // A result frees its slot.
  harness.Result(holder, IdOf(running), running.attempt(), /*ok=*/true);
  EXPECT_EQ(DispatchedTo(harness, {"w1", "w2"}), 1u);
  harness.core().CheckInvariants();

  // A refusal (the worker had no room) frees it too, and the job waits again.
  JobFilter filter;
  filter.state = wire::JOB_STATE_RUNNING;
  JobPage page = harness.core().ListJobs(filter);
  ASSERT_EQ(page.jobs.size(), 2u);
  const Job* refused = page.jobs[0];
  harness.Result(refused->leased_to, refused->id, refused->attempt, /*ok=*/false,
                 kRefusedErrorType);
  harness.core().CheckInvariants();
  EXPECT_EQ(harness.core().ListJobs(filter).jobs.size(), 2u) << "a refused job's slot is reused";

  // A worker that says BYE hands its jobs back: their slots are free.
  page = harness.core().ListJobs(filter);
  const std::string leaving = page.jobs[0]->leased_to;
  harness.FromWorker(leaving, Command::kBye, wire::Empty());
  harness.core().CheckInvariants();
  page = harness.core().ListJobs(filter);
  EXPECT_EQ(page.jobs.size(), 2u);
  for (const Job* job : page.jobs) {
    EXPECT_NE(job->leased_to, leaving);
  }

  // A cancel of a running job ends it when its worker reports; the slot goes on.
  harness.effects().Clear();
  const JobId cancelled = page.jobs[0]->id;
  EXPECT_EQ(harness.core().CancelJob(cancelled, harness.clock().NowMs(), &harness.effects()),
            CancelOutcome::kCancelRequested);
  const Job* job = harness.core().FindJob(cancelled);
  harness.Result(job->leased_to, cancelled, job->attempt, /*ok=*/false, kCancelledErrorType);
  EXPECT_EQ(harness.core().FindJob(cancelled)->state, wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(harness.core().ListJobs(filter).jobs.size(), 2u);
  harness.core().CheckInvariants();
}

TEST(QueueLimitsCoreTest, ALimitedQueueDoesNotHoldBackTheWorkersOtherQueues) {
  CoreHarness harness;
  harness.Hello("w", 6, {"slow", "fast"});
  SetLimit(harness, Cap("slow", 1));
  harness.Submit("c", {"s1", "s2", "s3"}, "slow");
  harness.Submit("c", {"f1", "f2", "f3"}, "fast");
  JobFilter filter;
  filter.state = wire::JOB_STATE_RUNNING;
  size_t slow = 0;
  size_t fast = 0;
  for (const Job* job : harness.core().ListJobs(filter).jobs) {
    (job->spec.queue() == "slow" ? slow : fast) += 1;
  }
  EXPECT_EQ(slow, 1u);
  EXPECT_EQ(fast, 3u) << "the worker's credit went on to the queue it can run";
  EXPECT_TRUE(QueueStatusOf(harness, "slow").limited());
  EXPECT_EQ(QueueStatusOf(harness, "slow").next_token_ms(), 0) << "a cap, not a rate, holds it";
  EXPECT_FALSE(QueueStatusOf(harness, "fast").limited());
}

TEST(QueueLimitsCoreTest, PrioritiesDecideWhichJobGetsTheNextToken) {
  CoreHarness harness;
  SetLimit(harness, Rate("default", 1, 100, 1));  // one job per 100 ms
  harness.Submit("c", {"low1", "low2"}, "default", /*priority=*/0);
  harness.Submit("c", {"high"}, "default", /*priority=*/5);
  harness.Hello("w", 10);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"high"}));
  harness.AdvanceMs(100);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"low1"}));
}

TEST(QueueLimitsCoreTest, APausedLimitedQueueDispatchesNothingAndKeepsItsTokens) {
  CoreHarness harness;
  harness.Hello("w", 10);
  ASSERT_EQ(harness.core().PauseQueue("default"), QueueControlOutcome::kDone);
  SetLimit(harness, Rate("default", 1, 1000, 2));
  harness.Submit("c", {"a", "b", "c"});
  for (int second = 0; second < 5; ++second) {
    harness.AdvanceMs(1000);
    EXPECT_TRUE(harness.Dispatched("w").empty());
    harness.Heartbeat("w");
  }
  EXPECT_FALSE(QueueStatusOf(harness, "default").limited()) << "paused, not limited";
  ASSERT_EQ(harness.core().ResumeQueue("default"), QueueControlOutcome::kDone);
  harness.AdvanceMs(0);
  EXPECT_EQ(harness.Dispatched("w").size(), 2u) << "the burst, no more, after the pause";
}

TEST(QueueLimitsCoreTest, ATaskLimitHoldsItsQueueInOrderButNotOtherQueues) {
  CoreHarness harness;
  harness.Hello("w", 10, {"q", "other"});
  SetLimit(harness, Cap("q", 1, "a"));
  harness.Submit("c", {"x"}, "other");
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"x"}));
  harness.Submit("c", {"a", "a", "b"}, "q");
  // The queue's order is kept: the second "a" waits at the head, and "b"
  // behind it waits too (docs/design.md, "Limits"); "other" is not held.
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(QueueStatusOf(harness, "q").limited());
  harness.Submit("c", {"y"}, "other");
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"y"}));
  JobFilter filter;
  filter.state = wire::JOB_STATE_RUNNING;
  filter.queue = "q";
  const Job* a = harness.core().ListJobs(filter).jobs.at(0);
  harness.Result("w", a->id, a->attempt, /*ok=*/true);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"a", "b"}))
      << "the next a takes the freed slot, and b behind it follows";
}

TEST(QueueLimitsCoreTest, QueueAndTaskLimitsBothApply) {
  CoreHarness harness;
  harness.Hello("w", 10);
  SetLimit(harness, Cap("default", 3));
  SetLimit(harness, Rate("default", 1, 1000, 1, "t"));
  harness.Submit("c", {"t", "t", "u", "u", "u"});
  // "t" takes the task's only token; the second "t" then holds the queue.
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"t"}));
  harness.AdvanceMs(1000);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"t", "u"}))
      << "the queue's cap of 3 stops the rest";
}

TEST(QueueLimitsCoreTest, ALoweredCapLetsRunningJobsFinishAndStartsNothingAboveIt) {
  CoreHarness harness;
  harness.Hello("w", 10);
  harness.Submit("c", std::vector<std::string>(6, "t"));
  ASSERT_EQ(harness.Dispatched("w").size(), 6u);
  SetLimit(harness, Cap("default", 2));
  harness.Submit("c", {"late"});
  EXPECT_TRUE(harness.Dispatched("w").empty());
  JobFilter filter;
  filter.state = wire::JOB_STATE_RUNNING;
  for (int finished = 0; finished < 4; ++finished) {
    const Job* job = harness.core().ListJobs(filter).jobs.at(0);
    harness.Result("w", job->id, job->attempt, /*ok=*/true);
    EXPECT_TRUE(harness.Dispatched("w").empty()) << "still at or above the cap";
  }
  const Job* job = harness.core().ListJobs(filter).jobs.at(0);
  harness.Result("w", job->id, job->attempt, /*ok=*/true);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"late"}));
}

TEST(QueueLimitsCoreTest, ClearingALimitLetsTheQueueGo) {
  CoreHarness harness;
  harness.Hello("w", 10);
  SetLimit(harness, Rate("default", 1, 60'000, 1));
  harness.Submit("c", {"a", "b", "c"});
  EXPECT_EQ(harness.Dispatched("w").size(), 1u);
  harness.effects().Clear();
  EXPECT_TRUE(harness.core().ClearLimit("default", "", &harness.effects()));
  ASSERT_EQ(harness.effects().limits_changed.size(), 1u);
  EXPECT_TRUE(harness.effects().limits_changed[0].cleared);
  harness.core().Tick(harness.clock().NowMs(), &harness.effects());
  EXPECT_EQ(harness.Dispatched("w").size(), 2u);
  EXPECT_FALSE(harness.core().ClearLimit("default", "", &harness.effects()));
  EXPECT_TRUE(harness.core().Limits(harness.clock().NowMs()).empty());
}

TEST(QueueLimitsCoreTest, BadLimitsAreRefusedAndChangeNothing) {
  CoreHarness harness;
  const std::vector<LimitRecord> bad = {
      Rate("q", 0, 1000, 1),          // a rate of 0
      Rate("q", 1, 1000, -1),         // a negative burst
      Rate("q", 1, 1000, 0),          // a burst of 0
      Rate("q", 2'000'000, 1000, 1),  // above 1,000,000/s
      Cap("q", -3),                   // a negative cap
      Rate("", 1, 1000, 1),           // no queue
      Cap("q", 0),                    // neither a rate nor a cap
      Rate("q", 0, 0, 5),             // a burst without a rate
  };
  for (const LimitRecord& record : bad) {
    harness.effects().Clear();
    absl::StatusOr<LimitRecord> set =
        harness.core().SetLimit(record, harness.clock().NowMs(), &harness.effects());
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << set.status();
    EXPECT_FALSE(set.status().message().empty());
    EXPECT_TRUE(harness.effects().limits_changed.empty());
  }
  EXPECT_TRUE(harness.core().Limits(harness.clock().NowMs()).empty());
  harness.core().CheckInvariants();
}

TEST(QueueLimitsCoreTest, RestoredLimitsStartEmptyAndCountRecoveredLeases) {
  CoreHarness before;
  before.Hello("w", 10);
  SetLimit(before, Cap("default", 2));
  SetLimit(before, Rate("default", 10, 1000, 5, "t"));
  before.Submit("c", {"t", "t", "t"});
  ASSERT_EQ(before.Dispatched("w").size(), 2u);
  std::vector<LimitRecord> records;
  for (const LimitView& view : before.core().Limits(before.clock().NowMs())) {
    records.push_back(view.record);
  }
  std::vector<Job> jobs;
  JobFilter all;
  all.limit = 100;
  for (const Job* job : before.core().ListJobs(all).jobs) {
    jobs.push_back(*job);
  }

  CoreHarness after;
  after.core().RestoreLimits(records, after.clock().NowMs());
  after.core().Restore(jobs, {}, after.clock().NowMs());
  after.core().CheckInvariants();
  std::vector<LimitView> limits = after.core().Limits(after.clock().NowMs());
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[0].record, records[0]);
  EXPECT_EQ(limits[0].running, 2) << "the recovered leases hold their slots";
  EXPECT_EQ(limits[1].tokens, 0) << "a restored bucket starts empty";
}

}  // namespace
}  // namespace jobq::broker::core
