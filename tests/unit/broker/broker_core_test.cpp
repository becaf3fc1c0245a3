#include "broker/core/broker_core.h"

#include <gtest/gtest.h>

#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;
using ::jobq::testing::IdOf;
using ::jobq::testing::Tasks;

TEST(BrokerCoreTest, DispatchesFifoWithinAPriority) {
  CoreHarness harness;
  harness.Submit("c", {"a", "b", "c"});
  harness.Hello("w", 3);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(BrokerCoreTest, HigherPriorityFirst) {
  CoreHarness harness;
  harness.Submit("c", {"low1", "low2"}, "default", 0);
  harness.Submit("c", {"high"}, "default", 5);
  harness.Submit("c", {"negative"}, "default", -1);
  harness.Hello("w", 4);
  EXPECT_EQ(Tasks(harness.Dispatched("w")),
            (std::vector<std::string>{"high", "low1", "low2", "negative"}));
}

TEST(BrokerCoreTest, CreditsBoundWhatAWorkerGets) {
  CoreHarness harness;
  harness.Submit("c", {"1", "2", "3", "4", "5"});
  harness.Hello("w", 2);
  std::vector<wire::DispatchedJob> first = harness.Dispatched("w");
  ASSERT_EQ(first.size(), 2u);

  harness.Result("w", IdOf(first[0]), 1, true);
  EXPECT_TRUE(harness.Dispatched("w").empty()) << "a result alone returns no credit";
  harness.Credit("w", 1);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"3"}));
  harness.Credit("w", 0);
  EXPECT_TRUE(harness.Dispatched("w").empty());
}

TEST(BrokerCoreTest, CreditNeverLiftsAPoolAboveItsCapacity) {
  CoreHarness harness;
  harness.Hello("w", 2);
  harness.Credit("w", 1000);
  harness.Submit("c", {"1", "2", "3", "4"});
  EXPECT_EQ(harness.Dispatched("w").size(), 2u);
}

TEST(BrokerCoreTest, DeadWorkersJobsAreRequeuedAndRunElsewhere) {
  CoreHarness harness;  // 1 s heartbeats, 3 misses
  harness.Hello("w1", 1);
  harness.Submit("c", {"job"}, "default", 0, /*notify=*/true);
  ASSERT_EQ(harness.Dispatched("w1").size(), 1u);
  harness.Hello("w2", 1);
  EXPECT_TRUE(harness.Dispatched("w2").empty());

  std::vector<wire::DispatchedJob> redispatched;
  for (int i = 0; i < 40 && redispatched.empty(); ++i) {
    harness.AdvanceMs(250);
    redispatched = harness.Dispatched("w2");
    harness.Heartbeat("w2");  // only w2 stays alive
  }
  ASSERT_EQ(redispatched.size(), 1u) << "w1 silent for 3 intervals is dead";
  EXPECT_EQ(redispatched[0].attempt(), 2u);
  EXPECT_EQ(harness.core().worker_count(), 1u);
  EXPECT_EQ(harness.core().counters().workers_lost, 1u);

  harness.Result("w2", IdOf(redispatched[0]), 2, true);
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_SUCCEEDED);
}

TEST(BrokerCoreTest, HeartbeatsKeepAWorkerAlive) {
  CoreHarness harness;
  harness.Hello("w", 1);
  for (int i = 0; i < 40; ++i) {
    harness.AdvanceMs(250);
    harness.Heartbeat("w");
  }
  EXPECT_EQ(harness.core().worker_count(), 1u);
}

TEST(BrokerCoreTest, BrokerSendsHeartbeatsToWorkers) {
  CoreHarness harness;
  harness.Hello("w", 1);
  bool heard = false;
  for (int i = 0; i < 8 && !heard; ++i) {
    harness.AdvanceMs(250);
    for (Command command : harness.CommandsTo("w")) {
      heard |= command == Command::kBrokerHeartbeat;
    }
  }
  EXPECT_TRUE(heard);
}

TEST(BrokerCoreTest, DuplicateResultIsIgnored) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"job"}, "default", 0, /*notify=*/true);
  harness.Result("w", ids[0], 1, true);
  EXPECT_EQ(harness.Outcomes("c").size(), 1u);
  harness.Result("w", ids[0], 1, true);
  EXPECT_TRUE(harness.Outcomes("c").empty());
  EXPECT_EQ(harness.core().counters().succeeded, 1u);
  EXPECT_EQ(harness.core().counters().late_results, 1u);
}

TEST(BrokerCoreTest, LateSuccessOfATakenBackAttemptFinishesTheJobOnce) {
  CoreHarness harness;
  harness.Hello("w1", 1);
  std::vector<JobId> ids = harness.Submit("c", {"job"}, "default", 0, /*notify=*/true);
  harness.Hello("w2", 1);
  for (int i = 0; i < 40 && harness.Dispatched("w2").empty(); ++i) {
    harness.AdvanceMs(250);
    if (!harness.Dispatched("w2").empty()) {
      break;
    }
    harness.Heartbeat("w2");
  }
  ASSERT_EQ(harness.Dispatched("w2").size(), 1u);

  // w1 comes back: unknown now, so it is told to reconnect, and nothing it
  // says counts before it registered again.
  harness.Result("w1", ids[0], 1, true);
  EXPECT_EQ(harness.CommandsTo("w1"), std::vector<Command>{Command::kReconnect});
  EXPECT_TRUE(harness.Outcomes("c").empty());
  harness.Hello("w1", 1);
  // A failure of the attempt taken back is not counted: the job runs again already.
  harness.Result("w1", ids[0], 1, false, "exception");
  EXPECT_TRUE(harness.Outcomes("c").empty());
  EXPECT_EQ(harness.core().FindJob(ids[0])->failures, 0u);
  // Its success is the job's outcome, and the attempt running on w2 is stopped.
  harness.Result("w1", ids[0], 1, true);
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(harness.CommandsTo("w2"), std::vector<Command>{Command::kWorkerCancel});
  EXPECT_EQ(harness.core().counters().succeeded, 1u);

  const uint64_t late_before = harness.core().counters().late_results;
  harness.Result("w2", ids[0], 2, true);
  harness.Result("w1", ids[0], 1, true);
  EXPECT_TRUE(harness.Outcomes("c").empty());
  EXPECT_EQ(harness.core().counters().succeeded, 1u) << "never counted twice";
  EXPECT_EQ(harness.core().counters().late_results, late_before + 2);
}

TEST(BrokerCoreTest, ResultFromAWorkerNotHoldingTheLeaseIsIgnored) {
  CoreHarness harness;
  harness.Hello("w1", 1);
  std::vector<JobId> ids = harness.Submit("c", {"job"});
  harness.Hello("w2", 1);
  harness.Result("w2", ids[0], 1, true);
  EXPECT_EQ(harness.core().counters().late_results, 1u);
  EXPECT_EQ(harness.core().FindJob(ids[0])->state, wire::JOB_STATE_RUNNING);
}

TEST(BrokerCoreTest, FailureWithAttemptsLeftIsRetriedThenDead) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids =
      harness.Submit("c", {"flaky"}, "default", 0, /*notify=*/true, /*max_attempts=*/2);
  harness.Result("w", ids[0], 1, false, "exception");
  harness.Credit("w", 1);
  EXPECT_TRUE(harness.Dispatched("w").empty()) << "a retry waits for its backoff";
  EXPECT_EQ(harness.core().FindJob(ids[0])->state, wire::JOB_STATE_SCHEDULED);
  harness.AdvanceMs(1000);  // the default first backoff, jitter included
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  EXPECT_EQ(harness.Dispatched("w")[0].attempt(), 2u);
  harness.Result("w", ids[0], 2, false, "exception");
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_DEAD);
  EXPECT_EQ(harness.Outcomes("c")[0].error().message(), "it broke");
}

TEST(BrokerCoreTest, BadArgumentsAreNotRetried) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids =
      harness.Submit("c", {"strict"}, "default", 0, /*notify=*/true, /*max_attempts=*/5);
  harness.Result("w", ids[0], 1, false, "bad_args");
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_FAILED);
  EXPECT_EQ(harness.Outcomes("c")[0].error().type(), "bad_args");
}

TEST(BrokerCoreTest, SentinelReachesEveryConsumerAfterTheJobsBeforeIt) {
  CoreHarness harness;
  harness.Submit("c", {"before1", "before2"});
  wire::Sentinel sentinel;
  sentinel.set_queue("default");
  harness.FromClient("c", Command::kSentinel, sentinel);
  EXPECT_EQ(harness.CommandsTo("c"), std::vector<Command>{Command::kSubmitted})
      << "a sentinel is acknowledged";
  EXPECT_EQ(harness.Acks("c").size(), 0u);
  EXPECT_EQ(static_cast<const wire::Submitted&>(*harness.effects().outbound[0].body).sentinels(),
            1u);
  harness.Submit("c", {"after"}, "default", /*priority=*/9);

  harness.Hello("w1", 10);
  EXPECT_EQ(Tasks(harness.Dispatched("w1")), (std::vector<std::string>{"before1", "before2"}));
  EXPECT_EQ(harness.CommandsTo("w1"), (std::vector<Command>{Command::kWelcome, Command::kDispatch,
                                                            Command::kWorkerSentinel}));
  harness.Credit("w1", 2);
  EXPECT_TRUE(harness.Dispatched("w1").empty()) << "w1 no longer serves the queue";

  harness.Hello("w2", 10);
  EXPECT_EQ(Tasks(harness.Dispatched("w2")), (std::vector<std::string>{"after"}));
}

TEST(BrokerCoreTest, SentinelGoesToEveryWorkerServingTheQueue) {
  CoreHarness harness;
  harness.Hello("w1", 1);
  harness.Hello("w2", 1);
  harness.Hello("other", 1, {"other"});
  wire::Sentinel sentinel;
  harness.FromClient("c", Command::kSentinel, sentinel);  // "" is the default queue
  int sentinels = 0;
  for (const auto& out : harness.effects().outbound) {
    if (out.command == Command::kWorkerSentinel) {
      ++sentinels;
      EXPECT_NE(out.routing_id, "other");
    }
  }
  EXPECT_EQ(sentinels, 2);
}

TEST(BrokerCoreTest, SentinelWaitsForAConsumer) {
  CoreHarness harness;
  wire::Sentinel sentinel;
  harness.FromClient("c", Command::kSentinel, sentinel);
  harness.Submit("c", {"after"});
  harness.Hello("w", 5);
  EXPECT_TRUE(harness.Dispatched("w").empty());
  EXPECT_EQ(harness.CommandsTo("w"),
            (std::vector<Command>{Command::kWelcome, Command::kWorkerSentinel}));
}

TEST(BrokerCoreTest, DrainingWorkerGetsNothingNew) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"held", "waiting"});
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  wire::Heartbeat draining;
  draining.set_draining(true);
  harness.FromWorker("w", Command::kWorkerHeartbeat, draining);
  harness.Result("w", ids[0], 1, true);
  harness.Credit("w", 1);
  EXPECT_TRUE(harness.Dispatched("w").empty());
  EXPECT_TRUE(harness.core().FindWorkerByName("w")->draining());
}

TEST(BrokerCoreTest, ShutdownSentinelsEveryQueueAndRefusesSubmits) {
  CoreHarness harness;
  harness.Hello("w", 1, {"a", "b"});
  harness.core().BeginShutdown(harness.clock().NowMs(), &harness.effects());
  harness.AdvanceMs(1);
  int sentinels = 0;
  for (Command command : harness.CommandsTo("w")) {
    sentinels += command == Command::kWorkerSentinel ? 1 : 0;
  }
  EXPECT_EQ(sentinels, 2);
  harness.Submit("c", {"late"});
  ASSERT_EQ(harness.Acks("c").size(), 1u);
  EXPECT_EQ(harness.Acks("c")[0].error().type(), "shutting_down");
}

TEST(BrokerCoreTest, MalformedBodiesAreAnsweredAndCounted) {
  CoreHarness harness;
  harness.RawFromClient("c", Command::kSubmit, std::string("\xff\xff\xff\xff", 4));
  std::vector<wire::Error> errors = harness.Errors("c");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::ERROR_CODE_BAD_BODY);
  EXPECT_NE(errors[0].text().find("Submit"), std::string::npos) << errors[0].text();
  EXPECT_EQ(harness.core().counters().bad_messages, 1u);
  EXPECT_EQ(harness.core().job_count(), 0u);
}

TEST(BrokerCoreTest, WorkerCommandOnTheClientSocketIsRefused) {
  CoreHarness harness;
  harness.RawFromClient("c", Command::kHello, "");
  ASSERT_EQ(harness.Errors("c").size(), 1u);
  EXPECT_EQ(harness.Errors("c")[0].code(), wire::ERROR_CODE_BAD_COMMAND);
}

TEST(BrokerCoreTest, UnknownWorkerIsToldToReconnect) {
  CoreHarness harness;
  harness.Credit("stranger", 5);
  EXPECT_EQ(harness.CommandsTo("stranger"), std::vector<Command>{Command::kReconnect});
  EXPECT_EQ(harness.core().worker_count(), 0u);
}

TEST(BrokerCoreTest, FullQueueRejectsWithAClearError) {
  CoreOptions options;
  options.queue_depth_max = 2;
  CoreHarness harness(options);
  harness.Submit("c", {"1", "2", "3"});
  std::vector<wire::SubmitAck> acks = harness.Acks("c");
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_FALSE(acks[1].id().empty());
  EXPECT_TRUE(acks[2].id().empty());
  EXPECT_EQ(acks[2].client_seq(), 3u);
  EXPECT_EQ(acks[2].error().type(), "queue_full");
  EXPECT_NE(acks[2].error().message().find("default"), std::string::npos);
}

TEST(BrokerCoreTest, JobWithoutTaskIsRejected) {
  CoreHarness harness;
  harness.Submit("c", {""});
  ASSERT_EQ(harness.Acks("c").size(), 1u);
  EXPECT_EQ(harness.Acks("c")[0].error().type(), "bad_request");
}

TEST(BrokerCoreTest, WaitAnswersFinishedAndUnknownJobsAtOnce) {
  CoreHarness harness;
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"job"});
  harness.Result("w", ids[0], 1, true);

  wire::Wait wait;
  wait.add_ids(std::string(ids[0].Bytes()));
  JobIdGenerator other(99);
  wait.add_ids(std::string(other.Next(1).Bytes()));
  harness.FromClient("waiter", Command::kWait, wait);
  std::vector<wire::JobOutcome> outcomes = harness.Outcomes("waiter");
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].state(), wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(outcomes[0].result(), "42");
  EXPECT_EQ(outcomes[1].error().type(), "unknown_job");
}

TEST(BrokerCoreTest, WaitIsIdempotent) {
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", {"job"});
  wire::Wait wait;
  wait.add_ids(std::string(ids[0].Bytes()));
  harness.FromClient("waiter", Command::kWait, wait);
  harness.FromClient("waiter", Command::kWait, wait);
  harness.Hello("w", 1);
  harness.Result("w", ids[0], 1, true);
  EXPECT_EQ(harness.Outcomes("waiter").size(), 1u);
}

TEST(BrokerCoreTest, CancelledQueuedJobIsNeverDispatched) {
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", {"cancel-me", "keep"}, "default", 0, true);
  wire::Cancel cancel;
  cancel.add_ids(std::string(ids[0].Bytes()));
  harness.FromClient("c", Command::kCancel, cancel);
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_CANCELLED);
  harness.Hello("w", 5);
  EXPECT_EQ(Tasks(harness.Dispatched("w")), (std::vector<std::string>{"keep"}));
}

TEST(BrokerCoreTest, CancelOfUnknownJobsIsAnswered) {
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", {"known"});
  JobIdGenerator other(5);
  const JobId stranger = other.Next(1);
  wire::Cancel cancel;
  cancel.add_ids(std::string(stranger.Bytes()));
  cancel.add_ids(std::string(ids[0].Bytes()));
  harness.FromClient("c", Command::kCancel, cancel);
  std::vector<wire::Error> errors = harness.Errors("c");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), wire::ERROR_CODE_UNKNOWN_JOB);
  EXPECT_NE(errors[0].text().find(stranger.ToString()), std::string::npos);
  EXPECT_EQ(harness.core().FindJob(ids[0])->state, wire::JOB_STATE_CANCELLED);
}

TEST(BrokerCoreTest, ReconnectingWorkerKeepsTheJobsItHolds) {
  CoreHarness harness;
  harness.Hello("w", 2);
  std::vector<JobId> ids = harness.Submit("c", {"held", "lost"}, "default", 0, true);
  ASSERT_EQ(harness.Dispatched("w").size(), 2u);

  // Same name over a new connection, still running "held" only.
  wire::HeldJob held;
  held.set_id(std::string(ids[0].Bytes()));
  held.set_attempt(1);
  wire::Hello hello;
  hello.set_name("w");
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(2);
  *hello.add_in_flight() = held;
  harness.FromWorker("w-new-connection", Command::kHello, hello);

  EXPECT_EQ(harness.core().worker_count(), 1u);
  EXPECT_EQ(harness.core().FindJob(ids[0])->leased_to, "w-new-connection");
  std::vector<wire::DispatchedJob> again = harness.Dispatched("w-new-connection");
  ASSERT_EQ(again.size(), 1u) << "one slot free: the job it no longer holds comes back";
  EXPECT_EQ(again[0].task(), "lost");
  EXPECT_EQ(again[0].attempt(), 2u);

  harness.Result("w-new-connection", ids[0], 1, true);
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_SUCCEEDED);
}

TEST(BrokerCoreTest, DelayedJobWaitsForItsTime) {
  CoreHarness harness;
  harness.Hello("w", 1);
  wire::Submit submit;
  wire::JobSpec& spec = *submit.add_jobs();
  spec.set_task("later");
  spec.set_not_before_ms(harness.clock().NowMs() + 5000);
  harness.FromClient("c", Command::kSubmit, submit);
  EXPECT_TRUE(harness.Dispatched("w").empty());
  for (int i = 0; i < 19; ++i) {
    harness.AdvanceMs(250);
    EXPECT_TRUE(harness.Dispatched("w").empty()) << "at +" << (i + 1) * 250 << " ms";
    harness.Heartbeat("w");
  }
  harness.AdvanceMs(250);
  EXPECT_EQ(harness.Dispatched("w").size(), 1u);
}

TEST(BrokerCoreTest, ByeHandsTheJobBackWithoutCountingItAgainstTheJob) {
  CoreOptions options;
  options.lost_leases_max = 2;
  options.poison_after = 2;
  CoreHarness harness(options);
  std::vector<JobId> ids = harness.Submit("c", {"t"}, "default", 0, true);
  for (int round = 0; round < 3; ++round) {
    harness.Hello("w", 1);
    ASSERT_EQ(harness.Dispatched("w").size(), 1u) << "round " << round;
    harness.FromWorker("w", Command::kBye, wire::Empty());
  }
  EXPECT_TRUE(harness.Outcomes("c").empty());
  EXPECT_EQ(harness.core().FindJob(ids[0])->state, wire::JOB_STATE_QUEUED);
}

TEST(BrokerCoreTest, LeaseRunningOutTooOftenOnLiveWorkersMakesTheJobDead) {
  CoreOptions options;
  options.lost_leases_max = 2;
  options.lease_grace_ms = 100;
  CoreHarness harness(options);
  wire::Submit submit;
  wire::JobSpec& spec = *submit.add_jobs();
  spec.set_task("t");
  spec.set_timeout_ms(500);
  submit.set_first_seq(1);
  submit.set_notify(true);
  harness.FromClient("c", Command::kSubmit, submit);
  harness.Hello("w", 1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  // The worker stays alive (heartbeats) but never reports: each lease runs
  // out, the job goes back, and the worker's slot never comes back either,
  // so a second worker takes the second attempt.
  harness.Hello("w2", 1);
  const JobId id = *JobId::FromBytes(harness.core().ListJobs({}).jobs.front()->id.Bytes());
  for (int i = 0; i < 40 && !broker::core::IsTerminal(harness.core().FindJob(id)->state); ++i) {
    harness.AdvanceMs(100);
    harness.FromWorker("w", Command::kWorkerHeartbeat, wire::Heartbeat());
    harness.FromWorker("w2", Command::kWorkerHeartbeat, wire::Heartbeat());
  }
  const broker::core::Job* job = harness.core().FindJob(id);
  EXPECT_EQ(job->state, wire::JOB_STATE_DEAD);
  EXPECT_EQ(job->error.type(), "worker_lost");
  EXPECT_EQ(job->lost_leases, 2u);
}

TEST(BrokerCoreTest, FinishedJobsExpireAfterTheirTtl) {
  CoreOptions options;
  options.result_ttl_ms = 10'000;
  CoreHarness harness(options);
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"job"});
  harness.Result("w", ids[0], 1, true);
  harness.AdvanceMs(9'000);
  EXPECT_NE(harness.core().FindJob(ids[0]), nullptr);
  harness.AdvanceMs(1'000);
  EXPECT_EQ(harness.core().FindJob(ids[0]), nullptr);
}

}  // namespace
}  // namespace jobq::broker::core
