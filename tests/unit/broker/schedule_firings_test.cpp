// PlanFirings (broker/core/schedule_firings.h) on fake time: which instants
// of a schedule make jobs when the broker looks, under each catch-up policy.

#include "broker/core/schedule_firings.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace jobq::broker::core {
namespace {

using CatchUp = ::jobq::admin::ScheduleSpec;

constexpr TimeMs kStartMs = 1'700'000'000'000;  // on a whole second
const Schedule kEverySecond = EverySchedule{1000, 0};
// "Cannot have missed": no restore, and the grace not passed.
constexpr TimeMs kNothingMissed = std::numeric_limits<TimeMs>::min();

TEST(ScheduleFiringsTest, NothingDueLeavesTheCursor) {
  FiringPlan plan =
      PlanFirings(kEverySecond, CatchUp::CATCH_UP_ONE, kStartMs, kStartMs + 999, kNothingMissed);
  EXPECT_TRUE(plan.fire.empty());
  EXPECT_EQ(plan.skipped, 0u);
  EXPECT_EQ(plan.cursor_ms, kStartMs);
}

TEST(ScheduleFiringsTest, InstantsSeenInTimeAllFireWhateverThePolicy) {
  for (auto policy : {CatchUp::CATCH_UP_NONE, CatchUp::CATCH_UP_ONE, CatchUp::CATCH_UP_ALL}) {
    // A loop late by 3 s: late, not missed.
    FiringPlan plan = PlanFirings(kEverySecond, policy, kStartMs, kStartMs + 3000, kNothingMissed);
    EXPECT_EQ(plan.fire, (std::vector<TimeMs>{kStartMs + 1000, kStartMs + 2000, kStartMs + 3000}))
        << policy;
    EXPECT_EQ(plan.skipped, 0u);
    EXPECT_EQ(plan.cursor_ms, kStartMs + 3000);
  }
}

TEST(ScheduleFiringsTest, MissedInstantsFollowThePolicy) {
  // Down from kStartMs to 10 s later; restored then; now 10.5 s.
  const TimeMs restored_ms = kStartMs + 10'000;
  const TimeMs now_ms = kStartMs + 10'500;
  FiringPlan none =
      PlanFirings(kEverySecond, CatchUp::CATCH_UP_NONE, kStartMs, now_ms, restored_ms);
  EXPECT_TRUE(none.fire.empty());
  EXPECT_EQ(none.skipped, 10u);
  EXPECT_EQ(none.cursor_ms, kStartMs + 10'000);

  FiringPlan one = PlanFirings(kEverySecond, CatchUp::CATCH_UP_ONE, kStartMs, now_ms, restored_ms);
  EXPECT_EQ(one.fire, (std::vector<TimeMs>{kStartMs + 10'000}));  // the latest
  EXPECT_EQ(one.skipped, 9u);

  FiringPlan all = PlanFirings(kEverySecond, CatchUp::CATCH_UP_ALL, kStartMs, now_ms, restored_ms);
  ASSERT_EQ(all.fire.size(), 10u);
  EXPECT_EQ(all.fire.front(), kStartMs + 1000);
  EXPECT_EQ(all.fire.back(), kStartMs + 10'000);
  EXPECT_EQ(all.skipped, 0u);
}

TEST(ScheduleFiringsTest, UnspecifiedMeansOne) {
  FiringPlan plan = PlanFirings(kEverySecond, CatchUp::CATCH_UP_UNSPECIFIED, kStartMs,
                                kStartMs + 5000, kStartMs + 5000);
  EXPECT_EQ(plan.fire, (std::vector<TimeMs>{kStartMs + 5000}));
  EXPECT_EQ(plan.skipped, 4u);
}

TEST(ScheduleFiringsTest, MissedComeBeforeThoseSeenInTime) {
  // Restored at 2 s; at 4 s, 1 s and 2 s were missed, 3 s and 4 s are late.
  FiringPlan plan =
      PlanFirings(kEverySecond, CatchUp::CATCH_UP_ONE, kStartMs, kStartMs + 4000, kStartMs + 2000);
  EXPECT_EQ(plan.fire, (std::vector<TimeMs>{kStartMs + 2000, kStartMs + 3000, kStartMs + 4000}));
  EXPECT_EQ(plan.skipped, 1u);
}

TEST(ScheduleFiringsTest, AllKeepsTheLatestThousand) {
  const TimeMs now_ms = kStartMs + 5000 * 1000;
  FiringPlan plan = PlanFirings(kEverySecond, CatchUp::CATCH_UP_ALL, kStartMs, now_ms, now_ms);
  ASSERT_EQ(plan.fire.size(), kCatchUpFiringsMax);
  EXPECT_EQ(plan.fire.back(), now_ms);
  EXPECT_EQ(plan.fire.front(), now_ms - (kCatchUpFiringsMax - 1) * 1000);
  EXPECT_EQ(plan.skipped, 5000u - kCatchUpFiringsMax);
}

TEST(ScheduleFiringsTest, AYearDownLooksBackOnlyOverTheHorizon) {
  const TimeMs now_ms = kStartMs + 365LL * 24 * 3600 * 1000;
  FiringPlan plan = PlanFirings(kEverySecond, CatchUp::CATCH_UP_NONE, kStartMs, now_ms, now_ms);
  EXPECT_TRUE(plan.fire.empty());
  EXPECT_EQ(plan.skipped, static_cast<uint64_t>(kCatchUpHorizonMs / 1000));
  EXPECT_EQ(plan.cursor_ms, now_ms);
}

TEST(ScheduleFiringsTest, CronFiringsAcrossBerlinsSpringGap) {
  // "30 2 * * *" in Europe/Berlin: 2026-03-29 has no 02:30; it fires at
  // 03:00 CEST (01:00 UTC), then 02:30 CEST (00:30 UTC) the next day.
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  absl::StatusOr<CronSpec> spec = ParseCron("30 2 * * *");
  ASSERT_TRUE(spec.ok());
  const Schedule daily = CronSchedule{*spec, berlin};
  const TimeMs march_28_noon_utc = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(2026, 3, 28, 12, 0, 0), absl::UTCTimeZone()));
  const TimeMs march_31_utc = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(2026, 3, 31, 0, 0, 0), absl::UTCTimeZone()));
  FiringPlan plan =
      PlanFirings(daily, CatchUp::CATCH_UP_ALL, march_28_noon_utc, march_31_utc, kNothingMissed);
  auto utc = [](int day, int hour, int minute) {
    return absl::ToUnixMillis(
        absl::FromCivil(absl::CivilSecond(2026, 3, day, hour, minute, 0), absl::UTCTimeZone()));
  };
  EXPECT_EQ(plan.fire, (std::vector<TimeMs>{utc(29, 1, 0), utc(30, 0, 30)}));
}

}  // namespace
}  // namespace jobq::broker::core
