// BrokerCore: worker registrations and exact credit (docs/protocol.md,
// "Registrations" and "Credit"), refusals, poison, and cancels of running
// jobs from either path.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "tests/support/core_harness.h"

namespace jobq::testing {
namespace {

using broker::core::CoreOptions;
using broker::core::Job;

constexpr uint64_t kInstance = 0x1234;

wire::HeldJob Held(const JobId& id, uint32_t attempt) {
  wire::HeldJob held;
  held.set_id(std::string(id.Bytes()));
  held.set_attempt(attempt);
  held.set_kind(wire::KIND_IO);
  return held;
}

TEST(RegistrationCoreTest, WelcomeAndDispatchCarryTheRegistrationAndTheBroker) {
  CoreHarness harness;
  harness.Submit("c", {"t"});
  harness.Register("w", 1, kInstance, 7);
  ASSERT_EQ(harness.Welcomes("w").size(), 1u);
  EXPECT_EQ(harness.Welcomes("w")[0].registration(), 7u);
  EXPECT_NE(harness.Welcomes("w")[0].broker(), 0u);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  for (const broker::core::Outbound& out : harness.effects().outbound) {
    if (out.command != Command::kDispatch) {
      continue;
    }
    const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
    EXPECT_EQ(dispatch.registration(), 7u);
    EXPECT_EQ(dispatch.broker(), harness.Welcomes("w")[0].broker());
  }
}

TEST(RegistrationCoreTest, AReSentHelloKeepsTheRegistrationAndSendsNoMoreJobs) {
  CoreHarness harness;
  harness.Submit("c", {"a", "b", "c"});
  harness.Register("w", 2, kInstance, 1);
  ASSERT_EQ(harness.Dispatched("w").size(), 2u);
  // The same HELLO again, sent before its WELCOME arrived: it still lists
  // nothing, but the two jobs are the registration's.
  harness.Register("w", 2, kInstance, 1);
  EXPECT_EQ(harness.Welcomes("w").size(), 1u) << "answered again";
  EXPECT_TRUE(harness.Dispatched("w").empty()) << "no credit was granted twice";
  EXPECT_EQ(harness.core().FindWorkerByName("w")->leased.size(), 2u);
}

TEST(RegistrationCoreTest, AnOvertakenHelloChangesNothing) {
  CoreHarness harness;
  harness.Submit("c", {"a", "b"});
  harness.Register("w", 1, kInstance, 5);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  harness.Register("w", 1, kInstance, 4);
  EXPECT_TRUE(harness.CommandsTo("w").empty());
  EXPECT_EQ(harness.core().FindWorkerByName("w")->registration, 5u);
  EXPECT_EQ(harness.core().counters().late_hellos, 1u);
}

TEST(RegistrationCoreTest, AReconnectStormNeverSendsMoreThanTheWorkerGranted) {
  // The fault runs: a restarted broker answered each message of a worker
  // with RECONNECT and each got its own HELLO; every registration started
  // at full credit and the worker got several pools' worth of jobs.
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", std::vector<std::string>(20, "t"));
  harness.Register("w", 4, kInstance, 1);
  std::vector<wire::DispatchedJob> first = harness.Dispatched("w");
  ASSERT_EQ(first.size(), 4u);
  // The worker received the first DISPATCH only after sending HELLO 2, so
  // HELLO 2 lists nothing; it drops that DISPATCH (registration 1).
  harness.Register("w", 4, kInstance, 2);
  std::vector<wire::DispatchedJob> second = harness.Dispatched("w");
  EXPECT_EQ(second.size(), 4u);
  // The first four went back to the queue and were dispatched again under
  // registration 2 (they were not lost, and no attempt was held against
  // them).
  for (const wire::DispatchedJob& job : second) {
    const Job* known = harness.core().FindJob(*JobId::FromBytes(job.id()));
    EXPECT_EQ(known->failures, 0u);
    EXPECT_EQ(known->worker_crashes, 0u);
    EXPECT_EQ(known->lost_leases, 0u);
  }
  // A third HELLO that lists two of them: two slots are taken, two free.
  harness.Register("w", 4, kInstance, 3,
                   {Held(*JobId::FromBytes(second[0].id()), second[0].attempt()),
                    Held(*JobId::FromBytes(second[1].id()), second[1].attempt())});
  EXPECT_EQ(harness.Dispatched("w").size(), 2u);
  EXPECT_EQ(harness.core().FindWorkerByName("w")->leased.size(), 4u);
  harness.core().CheckInvariants();
}

TEST(RegistrationCoreTest, CreditIsARunningTotalOfTheCurrentRegistration) {
  CoreHarness harness;
  std::vector<JobId> ids = harness.Submit("c", std::vector<std::string>(10, "t"));
  harness.Register("w", 2, kInstance, 1);
  std::vector<wire::DispatchedJob> sent = harness.Dispatched("w");
  ASSERT_EQ(sent.size(), 2u);
  harness.Result("w", *JobId::FromBytes(sent[0].id()), sent[0].attempt(), true);
  harness.CreditTotal("w", 1, 1);
  EXPECT_EQ(harness.Dispatched("w").size(), 1u);
  // The same total again (a repeated CREDIT) frees nothing more, nor does
  // an older one overtaken by it.
  harness.CreditTotal("w", 1, 1);
  EXPECT_TRUE(harness.Dispatched("w").empty());
  harness.CreditTotal("w", 0, 1);
  EXPECT_TRUE(harness.Dispatched("w").empty());
  // A total of another registration counts for nothing.
  harness.CreditTotal("w", 2, 7);
  EXPECT_TRUE(harness.Dispatched("w").empty());
  // A total above what the registration was given is cut to it, and the
  // credit to the pool's capacity: a worker that claims more than it freed
  // gets at most a pool's worth at once.
  harness.CreditTotal("w", 1000, 1);
  EXPECT_EQ(harness.Dispatched("w").size(), 2u);
  EXPECT_EQ(harness.core().FindWorkerByName("w")->freed_total[wire::KIND_IO], 3u);
  harness.core().CheckInvariants();
}

TEST(RegistrationCoreTest, ARefusedJobGoesBackToTheFrontWithoutSpendingAnAttempt) {
  CoreHarness harness;
  std::vector<JobId> ids =
      harness.Submit("c", {"a", "b"}, "default", 0, /*notify=*/true, /*max_attempts=*/1);
  harness.Register("w", 1, kInstance, 1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  harness.Result("w", ids[0], 1, false, "worker_overloaded");
  EXPECT_TRUE(harness.Outcomes("c").empty()) << "a refusal is no outcome";
  const Job* job = harness.core().FindJob(ids[0]);
  EXPECT_EQ(job->state, wire::JOB_STATE_QUEUED);
  EXPECT_EQ(job->failures, 0u);
  EXPECT_EQ(harness.core().counters().refused, 1u);
  // Its slot was not credited back: nothing goes to that worker until it
  // frees one. Another worker takes the job first, ahead of b.
  harness.Register("w2", 1, kInstance + 1, 1);
  std::vector<wire::DispatchedJob> taken = harness.Dispatched("w2");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id(), ids[0].Bytes());
  EXPECT_EQ(taken[0].attempt(), 2u);
  harness.Result("w2", ids[0], 2, true);
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_SUCCEEDED);
}

TEST(RegistrationCoreTest, AJobRunningWhenItsWorkersDiedIsPoisonAfterPoisonAfter) {
  CoreOptions options;
  options.poison_after = 2;
  CoreHarness harness(options);
  std::vector<JobId> ids = harness.Submit("c", {"crash"}, "default", 0, true, /*max_attempts=*/5);
  // First death: missed heartbeats.
  harness.Register("w1", 1, 1, 1);
  ASSERT_EQ(harness.Dispatched("w1").size(), 1u);
  harness.AdvanceMs(5000);
  EXPECT_EQ(harness.core().FindJob(ids[0])->worker_crashes, 1u);
  EXPECT_EQ(harness.core().FindJob(ids[0])->state, wire::JOB_STATE_QUEUED);
  // Second death: a new process under the same name (systemd restarted it)
  // registers before the broker noticed the silence.
  harness.Register("w2", 1, 2, 1);
  ASSERT_EQ(harness.Dispatched("w2").size(), 1u);
  harness.Register("w2", 1, 3, 1);
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_DEAD);
  EXPECT_EQ(harness.Outcomes("c")[0].error().type(), "poison");
}

TEST(RegistrationCoreTest, TheSameProcessRegisteringAgainIsNoCrash) {
  CoreOptions options;
  options.poison_after = 1;
  CoreHarness harness(options);
  std::vector<JobId> ids = harness.Submit("c", {"t"}, "default", 0, true);
  harness.Register("w", 1, kInstance, 1);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  harness.Register("w", 1, kInstance, 2);  // the DISPATCH was on its way
  EXPECT_TRUE(harness.Outcomes("c").empty());
  EXPECT_EQ(harness.core().FindJob(ids[0])->worker_crashes, 0u);
  EXPECT_EQ(harness.Dispatched("w").size(), 1u);
}

// A cancel of a running job with attempts left ends it cancelled, never
// retried, whichever path asked (the wire CANCEL used to retry it).
class CancelRunningTest : public ::testing::TestWithParam<bool> {
 protected:
  // A job with attempts left, running on "w", then cancelled by an admin or
  // by its producer's CANCEL; returns its id.
  static JobId StartAndCancel(CoreHarness& harness, bool from_admin) {
    const JobId id = harness.Submit("c", {"t"}, "default", 0, true, /*max_attempts=*/3).front();
    harness.Register("w", 1, kInstance, 1);
    EXPECT_EQ(harness.Dispatched("w").size(), 1u);
    if (from_admin) {
      harness.effects().Clear();
      harness.core().CancelJob(id, harness.clock().NowMs(), &harness.effects());
    } else {
      wire::Cancel cancel;
      cancel.add_ids(std::string(id.Bytes()));
      harness.FromClient("c", Command::kCancel, cancel);
    }
    return id;
  }
};

TEST_P(CancelRunningTest, EndsCancelledWhateverTheWorkerReports) {
  CoreHarness harness;
  const JobId id = StartAndCancel(harness, GetParam());
  EXPECT_EQ(harness.CommandsTo("w"), std::vector<Command>{Command::kWorkerCancel});
  harness.Result("w", id, 1, false, "cancelled");
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(harness.Outcomes("c")[0].error().type(), "cancelled");
  EXPECT_EQ(harness.core().FindJob(id)->state, wire::JOB_STATE_CANCELLED);
}

TEST_P(CancelRunningTest, EndsCancelledWhenItsWorkerGoesAway) {
  CoreHarness harness;
  StartAndCancel(harness, GetParam());
  harness.FromWorker("w", Command::kBye, wire::Empty());
  ASSERT_EQ(harness.Outcomes("c").size(), 1u);
  EXPECT_EQ(harness.Outcomes("c")[0].state(), wire::JOB_STATE_CANCELLED);
}

INSTANTIATE_TEST_SUITE_P(BothPaths, CancelRunningTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "AdminCancelJobs" : "ProducerCancel";
                         });

}  // namespace
}  // namespace jobq::testing
