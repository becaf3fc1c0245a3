// BrokerCore's durability rules on a fake clock: retries with backoff,
// leases, idempotency, restart from what the store kept, dead letters.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "broker/core/broker_core.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;
using ::jobq::testing::IdOf;

constexpr TimeMs kLivenessWindowMs = 3000;  // CoreOptions defaults: 1 s × 3 misses
constexpr TimeMs kLeaseGraceMs = 5000;

// Submits one job built by `edit`; returns its ack.
wire::SubmitAck SubmitSpec(CoreHarness& harness, const std::string& client,
                           const std::function<void(wire::JobSpec&)>& edit, bool notify = true) {
  wire::Submit submit;
  submit.set_first_seq(7);
  submit.set_notify(notify);
  wire::JobSpec& spec = *submit.add_jobs();
  spec.set_task("t");
  edit(spec);
  harness.FromClient(client, Command::kSubmit, submit);
  EXPECT_EQ(harness.Acks(client).size(), 1u);
  return harness.Acks(client).empty() ? wire::SubmitAck() : harness.Acks(client)[0];
}

// The jobs a store would hold: copies of everything the core keeps.
std::vector<Job> Snapshot(const BrokerCore& core) {
  JobFilter all;
  all.limit = 1'000'000;
  std::vector<Job> jobs;
  for (const Job* job : core.ListJobs(all).jobs) {
    jobs.push_back(*job);
  }
  return jobs;
}

TEST(DurabilityCoreTest, RetriesBackOffExponentiallyWithJitterThenDie) {
  CoreOptions options;
  options.backoff_ms = 1000;
  CoreHarness harness(options);
  harness.Hello("w", 1);
  const JobId id = IdOf(SubmitSpec(harness, "c", [](auto& spec) { spec.set_max_attempts(3); }));

  harness.Result("w", id, 1, false, "exception");
  const Job* job = harness.core().FindJob(id);
  ASSERT_EQ(job->state, wire::JOB_STATE_SCHEDULED);
  // First retry: 1 s with equal jitter, so between 0.5 s and 1 s.
  EXPECT_GE(job->scheduled_ms - harness.clock().NowMs(), 500);
  EXPECT_LE(job->scheduled_ms - harness.clock().NowMs(), 1000);
  harness.Credit("w", 1);
  harness.AdvanceMs(job->scheduled_ms - harness.clock().NowMs() - 1);
  EXPECT_TRUE(harness.Dispatched("w").empty()) << "not before its backoff";
  harness.AdvanceMs(1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  EXPECT_EQ(harness.Dispatched("w")[0].attempt(), 2u);

  harness.Result("w", id, 2, false, "crashed");  // crashes are retried like exceptions
  job = harness.core().FindJob(id);
  ASSERT_EQ(job->state, wire::JOB_STATE_SCHEDULED);
  // Second retry: doubled, 1 s to 2 s.
  EXPECT_GE(job->scheduled_ms - harness.clock().NowMs(), 1000);
  EXPECT_LE(job->scheduled_ms - harness.clock().NowMs(), 2000);
  harness.Credit("w", 1);
  harness.AdvanceMs(2000);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);

  harness.Result("w", id, 3, false, "timeout");
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_DEAD);
  EXPECT_EQ(harness.Outcomes("c")[0].attempts(), 3u);
  EXPECT_EQ(harness.core().counters().retried, 2u);
}

TEST(DurabilityCoreTest, UnknownTaskIsNotRetried) {
  CoreHarness harness;
  harness.Hello("w", 1);
  const JobId id = IdOf(SubmitSpec(harness, "c", [](auto& spec) { spec.set_max_attempts(5); }));
  harness.Result("w", id, 1, false, "unknown_task");
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_FAILED);
}

TEST(DurabilityCoreTest, QueueDefaultsApplyToJobsThatSetNothing) {
  CoreOptions options;
  options.max_attempts = 2;
  options.queue_defaults["emails"] = {.max_attempts = 6, .backoff_ms = 250};
  CoreHarness harness(options);
  const JobId in_emails =
      IdOf(SubmitSpec(harness, "c", [](auto& spec) { spec.set_queue("emails"); }));
  const JobId elsewhere = IdOf(SubmitSpec(harness, "c", [](auto&) {}));
  const JobId own = IdOf(SubmitSpec(harness, "c", [](auto& spec) {
    spec.set_queue("emails");
    spec.set_max_attempts(1);
    spec.set_backoff_ms(10);
  }));
  EXPECT_EQ(harness.core().FindJob(in_emails)->spec.max_attempts(), 6u);
  EXPECT_EQ(harness.core().FindJob(in_emails)->spec.backoff_ms(), 250);
  EXPECT_EQ(harness.core().FindJob(elsewhere)->spec.max_attempts(), 2u);
  EXPECT_EQ(harness.core().FindJob(elsewhere)->spec.backoff_ms(), 1000);
  EXPECT_EQ(harness.core().FindJob(own)->spec.max_attempts(), 1u);
  EXPECT_EQ(harness.core().FindJob(own)->spec.backoff_ms(), 10);
}

TEST(DurabilityCoreTest, ALeaseRunsOutAfterTheTimeoutPlusGraceAndTheJobRunsElsewhere) {
  CoreHarness harness;
  harness.Hello("w1", 1);
  const JobId id = IdOf(SubmitSpec(harness, "c", [](auto& spec) { spec.set_timeout_ms(2000); }));
  ASSERT_EQ(harness.Dispatched("w1").size(), 1u);
  harness.Hello("w2", 1);
  // w1 stays alive (heartbeats, even listing the job) but never reports it:
  // its RESULT was lost. A job with a timeout keeps its first lease.
  for (TimeMs t = 0; t < 2000 + kLeaseGraceMs - 500; t += 500) {
    harness.AdvanceMs(500);
    harness.Heartbeat("w1", {id});
    harness.Heartbeat("w2");
    ASSERT_EQ(harness.core().FindJob(id)->leased_to, "w1");
  }
  bool moved = false;
  for (int i = 0; i < 8 && !moved; ++i) {
    harness.AdvanceMs(250);
    moved = !harness.Dispatched("w2").empty();
    if (moved) {
      EXPECT_EQ(harness.Dispatched("w2")[0].attempt(), 2u);
      const std::vector<Command> to_w1 = harness.CommandsTo("w1");
      EXPECT_NE(std::find(to_w1.begin(), to_w1.end(), Command::kWorkerCancel), to_w1.end())
          << "the first holder is told to stop";
    }
  }
  ASSERT_TRUE(moved);
  EXPECT_EQ(harness.core().counters().leases_expired, 1u);
  EXPECT_EQ(harness.core().FindJob(id)->failures, 0u) << "a lost lease is not a failure";
}

TEST(DurabilityCoreTest, HeartbeatsListingAJobWithoutTimeoutRenewItsLease) {
  CoreHarness harness;
  harness.Hello("w", 1);
  const JobId renewed = IdOf(SubmitSpec(harness, "c", [](auto&) {}));
  for (TimeMs t = 0; t < 10 * (kLivenessWindowMs + kLeaseGraceMs); t += 1000) {
    harness.AdvanceMs(1000);
    harness.Heartbeat("w", {renewed});
  }
  EXPECT_EQ(harness.core().FindJob(renewed)->state, wire::JOB_STATE_RUNNING);
  EXPECT_EQ(harness.core().counters().leases_expired, 0u);

  // Once the worker stops listing it (its result went missing), it expires.
  for (TimeMs t = 0; t <= kLivenessWindowMs + kLeaseGraceMs; t += 1000) {
    harness.AdvanceMs(1000);
    harness.Heartbeat("w");
  }
  EXPECT_EQ(harness.core().counters().leases_expired, 1u);
  harness.Credit("w", 1);  // the slot the lost job took
  EXPECT_EQ(harness.core().FindJob(renewed)->attempt, 2u) << "requeued and sent again";
}

TEST(DurabilityCoreTest, ASecondSubmitWithTheSameKeyCreatesNothing) {
  CoreHarness harness;
  const wire::SubmitAck first =
      SubmitSpec(harness, "c1", [](auto& spec) { spec.set_idempotency_key("order-17"); });
  EXPECT_FALSE(first.duplicate());
  const wire::SubmitAck again =
      SubmitSpec(harness, "c2", [](auto& spec) { spec.set_idempotency_key("order-17"); });
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(harness.core().job_count(), 1u);
  EXPECT_EQ(harness.core().counters().submitted, 1u);
  EXPECT_EQ(harness.core().counters().duplicates, 1u);

  // The second submitter asked for the outcome too, and gets it.
  harness.Hello("w", 1);
  harness.Result("w", IdOf(first), 1, true);
  EXPECT_EQ(harness.Outcomes("c1").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c2").size(), 1u);

  const wire::SubmitAck other =
      SubmitSpec(harness, "c1", [](auto& spec) { spec.set_idempotency_key("order-18"); });
  EXPECT_FALSE(other.duplicate());
  EXPECT_NE(other.id(), first.id());
}

TEST(DurabilityCoreTest, AKeyIsFreeAgainOnceItsJobExpired) {
  CoreOptions options;
  options.result_ttl_ms = 60'000;
  CoreHarness harness(options);
  harness.Hello("w", 1);
  const JobId first =
      IdOf(SubmitSpec(harness, "c", [](auto& spec) { spec.set_idempotency_key("k"); }));
  harness.Result("w", first, 1, true);
  harness.AdvanceMs(60'001);
  EXPECT_EQ(harness.core().FindJob(first), nullptr);
  const wire::SubmitAck later =
      SubmitSpec(harness, "c", [](auto& spec) { spec.set_idempotency_key("k"); });
  EXPECT_FALSE(later.duplicate());
  EXPECT_NE(IdOf(later), first);
}

TEST(DurabilityCoreTest, AResentJobWithTheSameSubmitTokenIsTheSameJob) {
  CoreHarness harness;
  const wire::SubmitAck first =
      SubmitSpec(harness, "c", [](auto& spec) { spec.set_submit_token("token-1"); });
  const wire::SubmitAck resent =
      SubmitSpec(harness, "c", [](auto& spec) { spec.set_submit_token("token-1"); });
  EXPECT_TRUE(resent.duplicate());
  EXPECT_EQ(resent.id(), first.id());
  EXPECT_EQ(harness.core().job_count(), 1u);
}

TEST(DurabilityCoreTest, AfterARestartAReturningWorkerKeepsItsJobsAndTheRestAreRequeued) {
  CoreHarness before;
  before.Hello("w1", 2);
  const JobId kept = IdOf(SubmitSpec(before, "c", [](auto&) {}));
  const JobId abandoned = IdOf(SubmitSpec(before, "c", [](auto&) {}));
  ASSERT_EQ(before.core().FindJob(abandoned)->state, wire::JOB_STATE_RUNNING);
  const JobId waiting = IdOf(SubmitSpec(before, "c", [](auto&) {}));

  CoreHarness after;
  after.effects().Clear();
  after.core().Restore(Snapshot(before.core()), {}, after.clock().NowMs());
  after.core().CheckInvariants();
  EXPECT_EQ(after.core().FindJob(kept)->state, wire::JOB_STATE_RUNNING);

  // w1 comes back holding only `kept`; w2 is new.
  wire::HeldJob held;
  held.set_id(std::string(kept.Bytes()));
  held.set_attempt(1);
  held.set_kind(wire::KIND_IO);
  after.Hello("w1-again", 1, {"default"}, {held});
  after.Hello("w2", 2);
  std::vector<JobId> sent;
  for (const auto& job : after.Dispatched("w2")) {
    sent.push_back(*JobId::FromBytes(job.id()));
  }
  EXPECT_EQ(sent, std::vector<JobId>{waiting}) << "`abandoned` waits for its worker first";

  for (TimeMs t = 0; t <= kLivenessWindowMs + kLeaseGraceMs && sent.size() < 2; t += 250) {
    after.AdvanceMs(250);
    for (const auto& job : after.Dispatched("w2")) {
      sent.push_back(*JobId::FromBytes(job.id()));
    }
    EXPECT_TRUE(after.Dispatched("w1-again").empty());
    after.Heartbeat("w1-again", {kept});
    after.Heartbeat("w2", {waiting});
  }
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1], abandoned);
  EXPECT_EQ(after.core().FindJob(abandoned)->attempt, 3u)
      << "attempt 2 is skipped: an unrecorded DISPATCH may have used it before the crash";
  EXPECT_EQ(after.core().FindJob(abandoned)->lost_leases, 0u)
      << "a broker restart is not held against the job";

  after.Result("w1-again", kept, 1, true);
  EXPECT_EQ(after.core().FindJob(kept)->state, wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(after.core().counters().late_results, 0u);
}

TEST(DurabilityCoreTest, AdoptingAJobRecordsItsNewHolderForTheStore) {
  CoreHarness before;
  before.Hello("w9", 1);
  const JobId id = IdOf(SubmitSpec(before, "c", [](auto&) {}));
  ASSERT_EQ(before.core().FindJob(id)->leased_to, "w9");

  CoreHarness after;
  after.effects().Clear();
  after.core().Restore(Snapshot(before.core()), {}, after.clock().NowMs());
  wire::HeldJob held;
  held.set_id(std::string(id.Bytes()));
  held.set_attempt(1);
  after.Hello("w4", 1, {"default"}, {held});
  const std::vector<JobId>& changed = after.effects().changed_jobs;
  EXPECT_NE(std::find(changed.begin(), changed.end(), id), changed.end())
      << "the store must name w4, or a CANCEL after the next restart goes to w9";
  EXPECT_EQ(after.core().FindJob(id)->leased_to, "w4");
}

TEST(DurabilityCoreTest, ARestoredQueuedJobNeverReusesAnAttemptNumber) {
  CoreHarness before;
  const JobId id = IdOf(SubmitSpec(before, "c", [](auto&) {}));
  ASSERT_EQ(before.core().FindJob(id)->attempt, 0u);

  CoreHarness after;
  after.effects().Clear();
  after.core().Restore(Snapshot(before.core()), {}, after.clock().NowMs());
  after.Hello("w", 1);
  ASSERT_EQ(after.Dispatched("w").size(), 1u);
  EXPECT_EQ(after.Dispatched("w")[0].attempt(), 2u)
      << "attempt 1 may have reached a worker in a DISPATCH the store never recorded";
  // That worker's success still counts: attempt 1 is one the broker took back.
  after.Hello("ghost", 1);
  after.Result("ghost", id, 1, true);
  EXPECT_EQ(after.core().FindJob(id)->state, wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(after.CommandsTo("w"), std::vector<Command>{Command::kWorkerCancel});
}

TEST(DurabilityCoreTest, SentinelsComeBackBetweenTheSameJobsAfterARestart) {
  CoreHarness before;
  const JobId ahead = IdOf(SubmitSpec(before, "c", [](auto&) {}));
  wire::Sentinel sentinel;
  before.FromClient("c", Command::kSentinel, sentinel);
  ASSERT_EQ(before.effects().sentinels_added.size(), 1u);
  const SentinelMark mark = before.effects().sentinels_added[0];
  const JobId behind = IdOf(SubmitSpec(before, "c", [](auto&) {}));

  CoreHarness after;
  after.effects().Clear();
  after.core().Restore(Snapshot(before.core()), {mark}, after.clock().NowMs());
  after.Hello("w", 5);
  ASSERT_EQ(after.Dispatched("w").size(), 1u);
  EXPECT_EQ(*JobId::FromBytes(after.Dispatched("w")[0].id()), ahead);
  EXPECT_EQ(after.CommandsTo("w"), (std::vector<Command>{Command::kWelcome, Command::kDispatch,
                                                         Command::kWorkerSentinel}));
  ASSERT_EQ(after.effects().sentinels_removed.size(), 1u);
  EXPECT_EQ(after.effects().sentinels_removed[0], mark.id) << "the store forgets it once fired";
  EXPECT_EQ(after.core().FindJob(behind)->state, wire::JOB_STATE_QUEUED);
}

TEST(DurabilityCoreTest, ADeadJobIsListedAndRunsAgainWhenRetried) {
  CoreHarness harness;
  harness.Hello("w", 1);
  const JobId id = IdOf(SubmitSpec(harness, "c", [](auto& spec) {
    spec.set_max_attempts(2);
    spec.set_backoff_ms(1);
  }));
  harness.Result("w", id, 1, false, "exception");
  harness.Credit("w", 1);
  harness.AdvanceMs(1);
  harness.Result("w", id, 2, false, "exception");
  harness.Credit("w", 1);
  ASSERT_EQ(harness.core().FindJob(id)->state, wire::JOB_STATE_DEAD);

  JobFilter dead;
  dead.state = wire::JOB_STATE_DEAD;
  ASSERT_EQ(harness.core().ListJobs(dead).jobs.size(), 1u);
  JobFilter queued;
  queued.state = wire::JOB_STATE_QUEUED;
  EXPECT_TRUE(harness.core().ListJobs(queued).jobs.empty());

  harness.effects().Clear();
  EXPECT_EQ(harness.core().RetryJob(id, harness.clock().NowMs(), &harness.effects()),
            RetryOutcome::kRetried);
  harness.AdvanceMs(1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  EXPECT_EQ(harness.Dispatched("w")[0].attempt(), 3u) << "old attempts' results stay stale";
  EXPECT_EQ(harness.core().FindJob(id)->failures, 0u);
  EXPECT_EQ(harness.core().RetryJob(id, harness.clock().NowMs(), &harness.effects()),
            RetryOutcome::kNotFinished);
  EXPECT_EQ(harness.core().RetryJob(JobId(), harness.clock().NowMs(), &harness.effects()),
            RetryOutcome::kUnknownJob);
  harness.Result("w", id, 3, true);
  EXPECT_EQ(harness.core().FindJob(id)->state, wire::JOB_STATE_SUCCEEDED);
}

TEST(DurabilityCoreTest, ADeadJobIsKeptLongerThanAResult) {
  CoreOptions options;
  options.result_ttl_ms = 1000;
  options.dead_ttl_ms = 10'000;
  CoreHarness harness(options);
  harness.Hello("w", 2);
  const JobId dead = IdOf(SubmitSpec(harness, "c", [](auto& spec) { spec.set_max_attempts(1); }));
  const JobId done = IdOf(SubmitSpec(harness, "c", [](auto&) {}));
  harness.Result("w", dead, 1, false, "worker_lost");  // retryable, but no attempts left
  harness.Result("w", done, 1, true);
  EXPECT_EQ(harness.core().FindJob(dead)->state, wire::JOB_STATE_FAILED);
  harness.AdvanceMs(1001);
  EXPECT_EQ(harness.core().FindJob(done), nullptr);
}

}  // namespace
}  // namespace jobq::broker::core
