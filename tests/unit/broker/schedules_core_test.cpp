// BrokerCore's schedules on a fake clock: firings make jobs keyed by the
// schedule and the instant, never twice across a restart; catch-up,
// overlap, pause, run, remove; bad specs refused whole.

#include <gtest/gtest.h>

#include <set>

#include "broker/core/broker_core.h"
#include "broker/core/schedule_firings.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;

::jobq::admin::ScheduleSpec EverySecond(const std::string& name) {
  ::jobq::admin::ScheduleSpec spec;
  spec.set_name(name);
  spec.set_every_ms(1000);
  spec.mutable_job()->set_task("noop");
  return spec;
}

// Firing instants of the kept jobs of `name`, from their keys.
std::multiset<TimeMs> FiredInstants(const BrokerCore& core, const std::string& name) {
  JobFilter all;
  all.limit = 1'000'000;
  std::multiset<TimeMs> instants;
  const std::string prefix = "jobq:schedule:" + name + "@";
  for (const Job* job : core.ListJobs(all).jobs) {
    const std::string& key = job->spec.idempotency_key();
    if (key.starts_with(prefix)) {
      instants.insert(std::stoll(key.substr(prefix.size())));
    }
  }
  return instants;
}

// What a store would give back: every job, and every schedule's record.
struct Stored {
  std::vector<Job> jobs;
  std::vector<::jobq::store::ScheduleRecord> schedules;
};
Stored StoredSnapshot(const BrokerCore& core) {
  Stored stored;
  JobFilter all;
  all.limit = 1'000'000;
  for (const Job* job : core.ListJobs(all).jobs) {
    stored.jobs.push_back(*job);
  }
  ::jobq::admin::ListSchedulesResponse listed;
  core.FillSchedules(kSchedulesMax, listed.mutable_schedules());
  for (const auto& info : listed.schedules()) {
    stored.schedules.push_back(*core.FindScheduleRecord(info.spec().name()));
  }
  return stored;
}

void RestoreFrom(CoreHarness& harness, Stored stored) {
  harness.core().Restore(std::move(stored.jobs), {}, harness.clock().NowMs());
  harness.core().RestoreSchedules(std::move(stored.schedules), harness.clock().NowMs());
  harness.AdvanceMs(0);
}

TEST(SchedulesCoreTest, FiresOnceAtEveryInstantAfterItWasAdded) {
  CoreHarness harness;
  const TimeMs added_ms = harness.clock().NowMs();
  ASSERT_TRUE(harness.core().AddSchedule(EverySecond("tick"), added_ms, &harness.effects()).ok());
  EXPECT_EQ(harness.effects().changed_schedules, std::vector<std::string>{"tick"});
  for (int i = 0; i < 5; ++i) {
    harness.AdvanceMs(1000);
  }
  const std::multiset<TimeMs> instants = FiredInstants(harness.core(), "tick");
  ASSERT_EQ(instants.size(), 5u);
  TimeMs expected = (added_ms / 1000 + 1) * 1000;
  for (TimeMs at : instants) {
    EXPECT_EQ(at, expected);
    expected += 1000;
  }
  absl::StatusOr<::jobq::admin::ScheduleInfo> info = harness.core().GetSchedule("tick", 10);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->fired(), 5u);
  EXPECT_EQ(info->next_fires_ms_size(), 10);
  EXPECT_EQ(info->next_fires_ms(0), info->next_fire_ms());
  EXPECT_EQ(info->last_job_state(), wire::JOB_STATE_QUEUED);
}

TEST(SchedulesCoreTest, AFiringKeptBeforeACrashIsNotMadeAgain) {
  CoreHarness before;
  ASSERT_TRUE(before.core()
                  .AddSchedule(EverySecond("tick"), before.clock().NowMs(), &before.effects())
                  .ok());
  before.AdvanceMs(3000);
  Stored stored = StoredSnapshot(before.core());
  // The store kept the jobs but not the cursor's last move: the crash came
  // between them (impossible in one commit, and harmless even so).
  stored.schedules[0].set_cursor_ms(stored.schedules[0].cursor_ms() - 3000);

  CoreHarness after;
  after.clock().SetMs(before.clock().NowMs() + 500);
  RestoreFrom(after, stored);
  const std::multiset<TimeMs> instants = FiredInstants(after.core(), "tick");
  EXPECT_EQ(instants.size(), 3u);
  EXPECT_EQ(std::set<TimeMs>(instants.begin(), instants.end()).size(), 3u) << "no duplicate";
  after.AdvanceMs(1000);
  EXPECT_EQ(FiredInstants(after.core(), "tick").size(), 4u);
}

TEST(SchedulesCoreTest, DownOverFiringsFollowsCatchUp) {
  for (auto policy :
       {::jobq::admin::ScheduleSpec::CATCH_UP_NONE, ::jobq::admin::ScheduleSpec::CATCH_UP_ONE,
        ::jobq::admin::ScheduleSpec::CATCH_UP_ALL}) {
    CoreHarness before;
    ::jobq::admin::ScheduleSpec spec = EverySecond("tick");
    spec.set_catch_up(policy);
    ASSERT_TRUE(before.core().AddSchedule(spec, before.clock().NowMs(), &before.effects()).ok());
    before.AdvanceMs(1000);
    ASSERT_EQ(FiredInstants(before.core(), "tick").size(), 1u);

    CoreHarness after;
    after.clock().SetMs(before.clock().NowMs() + 10'000);  // down 10 s: 10 instants missed
    RestoreFrom(after, StoredSnapshot(before.core()));
    const size_t made = FiredInstants(after.core(), "tick").size() - 1;
    absl::StatusOr<::jobq::admin::ScheduleInfo> info = after.core().GetSchedule("tick", 0);
    ASSERT_TRUE(info.ok());
    switch (policy) {
      case ::jobq::admin::ScheduleSpec::CATCH_UP_NONE:
        EXPECT_EQ(made, 0u);
        EXPECT_EQ(info->skipped(), 10u);
        break;
      case ::jobq::admin::ScheduleSpec::CATCH_UP_ONE:
        EXPECT_EQ(made, 1u);
        EXPECT_EQ(info->skipped(), 9u);
        break;
      default:
        EXPECT_EQ(made, 10u);
        EXPECT_EQ(info->skipped(), 0u);
        break;
    }
    // Then on time again.
    after.AdvanceMs(1000);
    EXPECT_EQ(FiredInstants(after.core(), "tick").size(), made + 2) << policy;
  }
}

TEST(SchedulesCoreTest, OverlapSkipWaitsForTheLastJob) {
  CoreHarness harness;
  ::jobq::admin::ScheduleSpec spec = EverySecond("tick");
  spec.set_overlap(::jobq::admin::ScheduleSpec::OVERLAP_SKIP);
  ASSERT_TRUE(harness.core().AddSchedule(spec, harness.clock().NowMs(), &harness.effects()).ok());
  harness.AdvanceMs(3000);  // the first job is still queued: two skipped
  EXPECT_EQ(FiredInstants(harness.core(), "tick").size(), 1u);
  absl::StatusOr<::jobq::admin::ScheduleInfo> info = harness.core().GetSchedule("tick", 0);
  EXPECT_EQ(info->skipped(), 2u);
  EXPECT_NE(info->last_skip().find("--overlap skip"), std::string::npos) << info->last_skip();

  harness.Hello("w", 1);  // a registration's capacity is its first credit
  const std::vector<wire::DispatchedJob> dispatched = harness.Dispatched("w");
  ASSERT_EQ(dispatched.size(), 1u);
  harness.Result("w", ::jobq::testing::IdOf(dispatched[0]), dispatched[0].attempt(), true);
  harness.AdvanceMs(1000);
  EXPECT_EQ(FiredInstants(harness.core(), "tick").size(), 2u);
}

TEST(SchedulesCoreTest, PausedFiresNothingAndResumesFromNow) {
  CoreHarness harness;
  BrokerCore& core = harness.core();
  ASSERT_TRUE(
      core.AddSchedule(EverySecond("tick"), harness.clock().NowMs(), &harness.effects()).ok());
  ASSERT_TRUE(core.PauseSchedule("tick", true, harness.clock().NowMs(), &harness.effects()).ok());
  EXPECT_EQ(
      core.PauseSchedule("tick", true, harness.clock().NowMs(), &harness.effects()).status().code(),
      absl::StatusCode::kFailedPrecondition);
  harness.AdvanceMs(5000);
  EXPECT_TRUE(FiredInstants(core, "tick").empty());
  EXPECT_EQ(core.GetSchedule("tick", 10)->next_fire_ms(), 0);
  ASSERT_TRUE(core.PauseSchedule("tick", false, harness.clock().NowMs(), &harness.effects()).ok());
  harness.AdvanceMs(1000);
  EXPECT_EQ(FiredInstants(core, "tick").size(), 1u) << "the paused instants are not caught up";
}

TEST(SchedulesCoreTest, RunMakesAJobNowAndRemoveKeepsTheJobs) {
  CoreHarness harness;
  BrokerCore& core = harness.core();
  ASSERT_TRUE(
      core.AddSchedule(EverySecond("tick"), harness.clock().NowMs(), &harness.effects()).ok());
  absl::StatusOr<JobId> ran = core.RunSchedule("tick", harness.clock().NowMs(), &harness.effects());
  ASSERT_TRUE(ran.ok());
  ASSERT_NE(core.FindJob(*ran), nullptr);
  EXPECT_EQ(core.GetSchedule("tick", 0)->last_job_id(), ran->Bytes());
  EXPECT_TRUE(core.RemoveSchedule("tick", &harness.effects()).ok());
  EXPECT_EQ(harness.effects().erased_schedules, std::vector<std::string>{"tick"});
  EXPECT_NE(core.FindJob(*ran), nullptr);
  EXPECT_EQ(core.RemoveSchedule("tick", &harness.effects()).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core.RunSchedule("tick", harness.clock().NowMs(), &harness.effects()).status().code(),
            absl::StatusCode::kNotFound);
  harness.AdvanceMs(3000);
  EXPECT_EQ(core.job_count(), 1u);
}

TEST(SchedulesCoreTest, BadSpecsAreRefusedWholeNamingWhatIsWrong) {
  CoreHarness harness;
  BrokerCore& core = harness.core();
  struct Case {
    std::function<void(::jobq::admin::ScheduleSpec&)> edit;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[](auto& spec) { spec.set_name(""); }, "needs a name"},
      {[](auto& spec) { spec.set_name("a/b"); }, "may hold only"},
      {[](auto& spec) { spec.set_cron("61 * * * *"); }, "minute field"},
      {[](auto& spec) { spec.set_cron("0 0 30 2 *"); }, "never fires"},
      {[](auto& spec) {
         spec.set_cron("* * * * *");
         spec.set_time_zone("Mars/Olympus");
       },
       "Mars/Olympus"},
      {[](auto& spec) { spec.set_time_zone("UTC"); }, "goes with a cron"},
      {[](auto& spec) { spec.set_every_ms(999); }, "out of range"},
      {[](auto& spec) { spec.clear_every_ms(); }, "cron expression or an interval"},
      {[](auto& spec) { spec.mutable_job()->clear_task(); }, "no task"},
      {[](auto& spec) { spec.mutable_job()->set_idempotency_key("k"); }, "idempotency key"},
      {[](auto& spec) { spec.mutable_job()->set_not_before_ms(5); }, "not_before_ms"},
      {[](auto& spec) { spec.mutable_job()->set_timeout_ms(-1); }, "timeout"},
  };
  for (const Case& c : cases) {
    ::jobq::admin::ScheduleSpec spec = EverySecond("s");
    c.edit(spec);
    absl::StatusOr<::jobq::admin::ScheduleInfo> added =
        core.AddSchedule(spec, harness.clock().NowMs(), &harness.effects());
    ASSERT_FALSE(added.ok()) << c.says;
    EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(added.status().message().find(c.says), std::string::npos) << added.status();
  }
  EXPECT_EQ(core.schedule_count(), 0u) << "nothing half-created";
  ASSERT_TRUE(core.AddSchedule(EverySecond("s"), harness.clock().NowMs(), &harness.effects()).ok());
  EXPECT_EQ(core.AddSchedule(EverySecond("s"), harness.clock().NowMs(), &harness.effects())
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(core.schedule_count(), 1u);
}

TEST(SchedulesCoreTest, ASubmittedKeyInTheBrokersNamespaceIsRejected) {
  CoreHarness harness;
  wire::Submit submit;
  wire::JobSpec& spec = *submit.add_jobs();
  spec.set_task("noop");
  spec.set_idempotency_key("jobq:schedule:tick@1000");
  harness.FromClient("c", Command::kSubmit, submit);
  ASSERT_EQ(harness.Acks("c").size(), 1u);
  EXPECT_EQ(harness.Acks("c")[0].error().type(), "bad_request");
  EXPECT_EQ(harness.core().job_count(), 0u);
}

TEST(SchedulesCoreTest, AStoredScheduleWhoseZoneIsGoneIsKeptAndShownBroken) {
  CoreHarness harness;
  ::jobq::store::ScheduleRecord record;
  *record.mutable_spec() = EverySecond("old");
  record.mutable_spec()->set_cron("* * * * *");
  record.mutable_spec()->set_time_zone("Atlantis/Capital");
  record.set_cursor_ms(harness.clock().NowMs());
  harness.core().RestoreSchedules({record}, harness.clock().NowMs());
  harness.AdvanceMs(120'000);
  absl::StatusOr<::jobq::admin::ScheduleInfo> info = harness.core().GetSchedule("old", 10);
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->broken().find("Atlantis/Capital"), std::string::npos);
  EXPECT_EQ(info->next_fire_ms(), 0);
  EXPECT_EQ(harness.core().job_count(), 0u);
}

TEST(SchedulesCoreTest, AStoredTemplateWithParentsFiresJobsWithoutThem) {
  // AddSchedule refuses `after` in a template; a record written otherwise
  // (damaged, or edited in the database) must not make jobs that wait for
  // ids that are no job's.
  CoreHarness harness;
  ::jobq::store::ScheduleRecord record;
  *record.mutable_spec() = EverySecond("orphans");
  record.mutable_spec()->mutable_job()->add_after("k");
  record.set_cursor_ms(harness.clock().NowMs());
  harness.core().RestoreSchedules({record}, harness.clock().NowMs());
  harness.AdvanceMs(3'000);
  harness.core().CheckInvariants();
  JobFilter all;
  const std::vector<const Job*> jobs = harness.core().ListJobs(all).jobs;
  ASSERT_FALSE(jobs.empty());
  for (const Job* job : jobs) {
    EXPECT_EQ(job->spec.after_size(), 0);
    EXPECT_EQ(job->state, wire::JOB_STATE_QUEUED);
  }
}

}  // namespace
}  // namespace jobq::broker::core
