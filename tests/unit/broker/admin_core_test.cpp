// BrokerCore's admin commands (broker/core/admin_control.cpp) on a fake
// clock: pause/resume, purge, cancel (queued and running), drain a worker,
// workers declared dead kept listable, the task filter of ListJobs.

#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "broker/core/broker_core.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;
using ::jobq::testing::Tasks;

// Runs an admin command as the loop does: fresh effects, the command, a
// Tick, and the invariants checked.
void Admin(CoreHarness& harness, const std::function<void(BrokerCore&, Effects*)>& command) {
  harness.effects().Clear();
  command(harness.core(), &harness.effects());
  harness.core().Tick(harness.clock().NowMs(), &harness.effects());
  harness.core().CheckInvariants();
}

wire::JobState StateOf(CoreHarness& harness, const JobId& id) {
  const Job* job = harness.core().FindJob(id);
  return job == nullptr ? wire::JOB_STATE_UNSPECIFIED : job->state;
}

admin::QueueStatus QueueNamed(CoreHarness& harness, const std::string& name) {
  admin::ListQueuesResponse queues;
  harness.core().FillQueues(&queues);
  for (const admin::QueueStatus& queue : queues.queues()) {
    if (queue.name() == name) {
      return queue;
    }
  }
  return {};
}

admin::ListWorkersResponse Workers(CoreHarness& harness) {
  admin::ListWorkersResponse workers;
  harness.core().FillWorkers(harness.clock().NowMs(), &workers);
  return workers;
}

TEST(AdminCoreTest, PausedQueueTakesJobsAndDispatchesNoneUntilResumed) {
  CoreHarness harness;
  harness.Hello("w", 4);
  Admin(harness, [](BrokerCore& core, Effects*) {
    EXPECT_EQ(core.PauseQueue("default"), QueueControlOutcome::kDone);
  });
  std::vector<JobId> ids = harness.Submit("c", {"a", "b"});
  ASSERT_EQ(harness.Acks("c").size(), 2u) << "a paused queue still accepts jobs";
  EXPECT_TRUE(harness.Dispatched("w").empty());
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_QUEUED);
  EXPECT_TRUE(QueueNamed(harness, "default").paused());
  EXPECT_EQ(QueueNamed(harness, "default").queued(), 2u);

  Admin(harness, [](BrokerCore& core, Effects*) {
    EXPECT_EQ(core.ResumeQueue("default"), QueueControlOutcome::kDone);
  });
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(QueueNamed(harness, "default").paused());
}

TEST(AdminCoreTest, PauseAndResumeRefuseWhatMakesNoSense) {
  CoreHarness harness;
  EXPECT_EQ(harness.core().ResumeQueue("nowhere"), QueueControlOutcome::kUnknownQueue);
  // Pausing a queue nobody used yet creates it, paused.
  EXPECT_EQ(harness.core().PauseQueue("later"), QueueControlOutcome::kDone);
  EXPECT_TRUE(harness.core().QueuePaused("later"));
  EXPECT_EQ(harness.core().PauseQueue("later"), QueueControlOutcome::kAlreadyPaused);
  EXPECT_EQ(harness.core().ResumeQueue("later"), QueueControlOutcome::kDone);
  EXPECT_EQ(harness.core().ResumeQueue("later"), QueueControlOutcome::kNotPaused);
  harness.core().CheckInvariants();
}

TEST(AdminCoreTest, PausedQueueDoesNotHoldUpTheWorkersOtherQueues) {
  CoreHarness harness;
  harness.core().PauseQueue("first");
  harness.Submit("c", {"f1"}, "first");
  harness.Submit("c", {"s1", "s2"}, "second");
  harness.Hello("w", 4, {"first", "second"});
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"s1", "s2"}));
}

TEST(AdminCoreTest, PausedQueueKeepsItsSentinel) {
  CoreHarness harness;
  harness.core().PauseQueue("default");
  wire::Sentinel sentinel;
  sentinel.set_queue("default");
  harness.FromClient("c", Command::kSentinel, sentinel);
  harness.Hello("w", 1);
  EXPECT_TRUE(harness.CommandsTo("w") == std::vector<Command>{Command::kWelcome});
  Admin(harness, [](BrokerCore& core, Effects*) { core.ResumeQueue("default"); });
  EXPECT_EQ(harness.CommandsTo("w"), std::vector<Command>{Command::kWorkerSentinel});
}

TEST(AdminCoreTest, PurgeCancelsWaitingJobsAndLeavesRunningOnes) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"a", "b", "c"}, "default", 0, /*notify=*/true);
  ASSERT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_RUNNING);
  std::optional<size_t> purged;
  Admin(harness, [&](BrokerCore& core, Effects* effects) {
    purged = core.PurgeQueue("default", harness.clock().NowMs(), effects);
  });
  EXPECT_EQ(purged, 2u);
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_RUNNING);
  EXPECT_EQ(StateOf(harness, ids[1]), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(StateOf(harness, ids[2]), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(harness.core().FindJob(ids[1])->error.type(), "cancelled");
  std::vector<wire::JobOutcome> outcomes = harness.Outcomes("c");
  ASSERT_EQ(outcomes.size(), 2u) << "watchers hear of the cancel";
  EXPECT_EQ(outcomes[0].state(), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(QueueNamed(harness, "default").queued(), 0u);
  EXPECT_EQ(QueueNamed(harness, "default").finished(), 2u);

  harness.Result("w", ids[0], 1, true);
  harness.Credit("w", 1);
  EXPECT_TRUE(harness.Dispatched("w").empty()) << "purged jobs never run";
  EXPECT_EQ(harness.core().PurgeQueue("nowhere", 0, &harness.effects()), std::nullopt);
}

TEST(AdminCoreTest, CancelOfAQueuedJob) {
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", {"a"});
  Admin(harness, [&](BrokerCore& core, Effects* effects) {
    EXPECT_EQ(core.CancelJob(ids[0], harness.clock().NowMs(), effects), CancelOutcome::kCancelled);
  });
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(harness.core().CancelJob(ids[0], 0, &harness.effects()),
            CancelOutcome::kAlreadyFinished);
  EXPECT_EQ(harness.core().CancelJob(JobId(), 0, &harness.effects()), CancelOutcome::kUnknownJob);
  harness.Hello("w", 1);
  EXPECT_TRUE(harness.Dispatched("w").empty());
}

TEST(AdminCoreTest, CancelOfARunningJobTellsItsWorkerAndEndsCancelledNotRetried) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids =
      harness.Submit("c", {"sleep"}, "default", 0, /*notify=*/true, /*max_attempts=*/3);
  ASSERT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_RUNNING);
  Admin(harness, [&](BrokerCore& core, Effects* effects) {
    EXPECT_EQ(core.CancelJob(ids[0], harness.clock().NowMs(), effects),
              CancelOutcome::kCancelRequested);
  });
  EXPECT_EQ(harness.CommandsTo("w"), std::vector<Command>{Command::kWorkerCancel});
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_RUNNING) << "until the worker says so";

  // The worker's token was set; the task ends with a "cancelled" error.
  harness.Result("w", ids[0], 1, false, "cancelled");
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_CANCELLED) << "not retried";
  std::vector<wire::JobOutcome> outcomes = harness.Outcomes("c");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].state(), wire::JOB_STATE_CANCELLED);
}

TEST(AdminCoreTest, CancelledRunningJobThatSucceedsAnywaySucceeds) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"quick"});
  harness.core().CancelJob(ids[0], harness.clock().NowMs(), &harness.effects());
  harness.Result("w", ids[0], 1, true);
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_SUCCEEDED);
}

TEST(AdminCoreTest, CancelledRunningJobWhoseWorkerDiesIsNotRequeued) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"sleep"}, "default", 0, false, 3);
  harness.core().CancelJob(ids[0], harness.clock().NowMs(), &harness.effects());
  harness.AdvanceMs(10'000);  // w misses its heartbeats
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(QueueNamed(harness, "default").queued(), 0u);
}

TEST(AdminCoreTest, RetryOfACancelledRunningJobRunsItNormally) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"sleep"}, "default", 0, false, 3);
  harness.core().CancelJob(ids[0], harness.clock().NowMs(), &harness.effects());
  harness.Result("w", ids[0], 1, false, "cancelled");
  ASSERT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_CANCELLED);
  Admin(harness, [&](BrokerCore& core, Effects* effects) {
    EXPECT_EQ(core.RetryJob(ids[0], harness.clock().NowMs(), effects), RetryOutcome::kRetried);
  });
  harness.Credit("w", 1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  harness.Result("w", ids[0], 2, false, "boom");
  EXPECT_EQ(StateOf(harness, ids[0]), wire::JOB_STATE_SCHEDULED) << "retried as usual";
}

TEST(AdminCoreTest, DrainWorkerSendsASentinelPerQueueAndNothingMore) {
  CoreHarness harness;
  harness.Hello("w", 2, {"a", "b"});
  harness.Hello("other", 2, {"a"});
  std::vector<std::string> queues;
  Admin(harness, [&](BrokerCore& core, Effects* effects) {
    EXPECT_EQ(core.DrainWorker("w", effects, &queues), DrainOutcome::kDraining);
  });
  EXPECT_EQ(queues, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(harness.CommandsTo("w"),
            (std::vector<Command>{Command::kWorkerSentinel, Command::kWorkerSentinel}));
  EXPECT_TRUE(harness.CommandsTo("other").empty());
  harness.Submit("c", {"x", "y"}, "a");
  EXPECT_TRUE(harness.Dispatched("w").empty());
  EXPECT_EQ(harness.Dispatched("other").size(), 2u);
  EXPECT_EQ(harness.core().DrainWorker("w", &harness.effects()), DrainOutcome::kAlreadyDraining);
  EXPECT_EQ(harness.core().DrainWorker("nobody", &harness.effects()), DrainOutcome::kUnknownWorker);
  admin::ListWorkersResponse workers = Workers(harness);
  ASSERT_EQ(workers.workers_size(), 2);
  EXPECT_EQ(workers.workers(1).name(), "w");
  EXPECT_EQ(workers.workers(1).state(), "draining");
}

TEST(AdminCoreTest, AWorkerWithoutANameIsListedByItsRoutingIdInHex) {
  CoreHarness harness;
  // ROUTER routing ids are binary; a listing must stay valid UTF-8 (found
  // by tests/fuzz/fuzz_broker_core).
  const std::string routing_id(
      "\x00\xff\x80"
      "ab",
      5);
  wire::Hello hello;
  wire::PoolCapacity* pool = hello.add_pools();
  pool->set_kind(wire::KIND_IO);
  pool->set_capacity(1);
  hello.add_queues("default");
  harness.core().OnWorkerMessage(routing_id, Command::kHello, hello.SerializeAsString(),
                                 harness.clock().NowMs(), &harness.effects());
  admin::ListWorkersResponse workers = Workers(harness);
  ASSERT_EQ(workers.workers_size(), 1);
  EXPECT_EQ(workers.workers(0).name(), "worker-00ff806162");
  admin::ListWorkersResponse decoded;
  EXPECT_TRUE(decoded.ParseFromString(workers.SerializeAsString())) << "names are UTF-8";
}

TEST(AdminCoreTest, DeadWorkerStaysListedForAWhile) {
  CoreHarness harness;
  harness.Hello("w", 2);
  harness.AdvanceMs(10'000);  // silent past the liveness window
  ASSERT_EQ(harness.core().worker_count(), 0u);
  admin::ListWorkersResponse workers = Workers(harness);
  ASSERT_EQ(workers.workers_size(), 1);
  EXPECT_EQ(workers.workers(0).name(), "w");
  EXPECT_EQ(workers.workers(0).state(), "dead");
  EXPECT_GE(workers.workers(0).last_heartbeat_ms_ago(), 3000);
  admin::GetStatusResponse status;
  harness.core().FillStatus(harness.clock().NowMs(), &status);
  EXPECT_EQ(status.workers_size(), 0) << "GetStatus lists connected workers only";

  harness.AdvanceMs(kDeadWorkerKeepMs + 1);
  EXPECT_EQ(Workers(harness).workers_size(), 0) << "forgotten after a while";
}

TEST(AdminCoreTest, DeadWorkerThatComesBackIsListedOnce) {
  CoreHarness harness;
  harness.Hello("w", 2);
  harness.AdvanceMs(10'000);
  harness.Hello("w", 2);
  admin::ListWorkersResponse workers = Workers(harness);
  ASSERT_EQ(workers.workers_size(), 1);
  EXPECT_EQ(workers.workers(0).state(), "active");
}

TEST(AdminCoreTest, DeadWorkersListIsBounded) {
  CoreHarness harness;
  for (size_t i = 0; i < kDeadWorkersMax + 10; ++i) {
    harness.Hello(absl::StrCat("w", i), 1);  // not "w" + …: GCC 12 -O3 -Wrestrict
  }
  harness.AdvanceMs(10'000);
  EXPECT_EQ(static_cast<size_t>(Workers(harness).workers_size()), kDeadWorkersMax);
}

TEST(AdminCoreTest, ListJobsFiltersByTask) {
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", {"a", "b", "a"});
  JobFilter filter;
  filter.task = "a";
  std::vector<const Job*> jobs = harness.core().ListJobs(filter).jobs;
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0]->id, ids[0]);
  EXPECT_EQ(jobs[1]->id, ids[2]);
}

}  // namespace
}  // namespace jobq::broker::core
