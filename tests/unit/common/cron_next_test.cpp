#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/cron_schedule.h"
#include "common/time_limits.h"

namespace jobq {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::TimeZone Zone(const std::string& name) {
  const absl::StatusOr<absl::TimeZone> zone = LoadScheduleTimeZone(name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.value_or(absl::UTCTimeZone());
}

Schedule Cron(const std::string& expr, const absl::TimeZone& zone = absl::UTCTimeZone()) {
  const absl::StatusOr<CronSpec> spec = ParseCron(expr);
  EXPECT_TRUE(spec.ok()) << expr << ": " << spec.status();
  return CronSchedule{spec.value_or(CronSpec{}), zone};
}

// "2026-03-29T01:30:00+01:00" (RFC 3339, any offset) as unix ms.
TimeMs At(const std::string& rfc3339) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) << rfc3339 << error;
  return absl::ToUnixMillis(time);
}

// An instant as the zone's wall clock and offset show it, so that the two
// occurrences of a repeated time differ: "2026-10-25 02:30 +02:00".
std::string Show(std::optional<TimeMs> ms, const absl::TimeZone& zone = absl::UTCTimeZone()) {
  if (!ms.has_value()) {
    return "never";
  }
  const absl::Time time = absl::FromUnixMillis(*ms);
  std::string shown = absl::FormatTime("%Y-%m-%d %H:%M %Ez", time, zone);
  if (*ms % 60'000 != 0) {
    shown += " (not a whole minute)";
  }
  return shown;
}

std::vector<std::string> ShowAll(const std::vector<TimeMs>& firings,
                                 const absl::TimeZone& zone = absl::UTCTimeZone()) {
  std::vector<std::string> shown;
  for (const TimeMs ms : firings) {
    shown.push_back(Show(ms, zone));
  }
  return shown;
}

std::string Next(const std::string& expr, const std::string& after,
                 const absl::TimeZone& zone = absl::UTCTimeZone()) {
  return Show(NextFiring(Cron(expr, zone), At(after)), zone);
}

std::vector<std::string> Firings(const std::string& expr, const std::string& after, size_t count,
                                 const absl::TimeZone& zone = absl::UTCTimeZone()) {
  return ShowAll(NextFirings(Cron(expr, zone), At(after), count), zone);
}

// --- UTC: the calendar ---

TEST(CronNextTest, TheFirstWholeMinuteStrictlyAfter) {
  EXPECT_EQ(Next("* * * * *", "2026-05-01T10:00:00Z"), "2026-05-01 10:01 +00:00");
  EXPECT_EQ(Next("* * * * *", "2026-05-01T10:00:00.001Z"), "2026-05-01 10:01 +00:00");
  EXPECT_EQ(Next("* * * * *", "2026-05-01T09:59:59.999Z"), "2026-05-01 10:00 +00:00");
  EXPECT_EQ(Next("0 10 * * *", "2026-05-01T10:00:00Z"), "2026-05-02 10:00 +00:00");
  EXPECT_EQ(Next("0 10 * * *", "2026-05-01T09:59:59.999Z"), "2026-05-01 10:00 +00:00");
}

TEST(CronNextTest, AcrossMonthAndYearEnds) {
  EXPECT_EQ(Next("0 0 * * *", "2026-12-31T23:59:59Z"), "2027-01-01 00:00 +00:00");
  EXPECT_EQ(Next("0 0 1 * *", "2026-01-31T12:00:00Z"), "2026-02-01 00:00 +00:00");
  EXPECT_EQ(Next("59 23 * * *", "2026-06-30T23:59:00Z"), "2026-07-01 23:59 +00:00");
  EXPECT_EQ(Next("@yearly", "2026-06-01T00:00:00Z"), "2027-01-01 00:00 +00:00");
  // Months without a 31st are skipped whole.
  EXPECT_THAT(
      Firings("30 12 31 * *", "2026-01-01T00:00:00Z", 8),
      ElementsAre("2026-01-31 12:30 +00:00", "2026-03-31 12:30 +00:00", "2026-05-31 12:30 +00:00",
                  "2026-07-31 12:30 +00:00", "2026-08-31 12:30 +00:00", "2026-10-31 12:30 +00:00",
                  "2026-12-31 12:30 +00:00", "2027-01-31 12:30 +00:00"));
  EXPECT_THAT(Firings("0 9-17/4 * JUN,DEC *", "2026-06-30T12:00:00Z", 4),
              ElementsAre("2026-06-30 13:00 +00:00", "2026-06-30 17:00 +00:00",
                          "2026-12-01 09:00 +00:00", "2026-12-01 13:00 +00:00"));
}

TEST(CronNextTest, LeapDays) {
  EXPECT_EQ(Next("0 0 29 2 *", "2026-01-01T00:00:00Z"), "2028-02-29 00:00 +00:00");
  EXPECT_EQ(Next("0 0 29 2 *", "2028-02-29T00:00:00Z"), "2032-02-29 00:00 +00:00");
  // 2100 is no leap year.
  EXPECT_EQ(Next("0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29 00:00 +00:00");
  EXPECT_THAT(Firings("0 12 28-31 2 *", "2027-02-27T00:00:00Z", 4),
              ElementsAre("2027-02-28 12:00 +00:00", "2028-02-28 12:00 +00:00",
                          "2028-02-29 12:00 +00:00", "2029-02-28 12:00 +00:00"));
  EXPECT_EQ(Next("0 0 1 3 *", "2028-02-28T23:00:00Z"), "2028-03-01 00:00 +00:00");
}

TEST(CronNextTest, SpecsThatCanNeverFire) {
  for (const char* expr :
       {"0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *", "0 0 30-31 FEB *", "0 0 31 2 */2"}) {
    EXPECT_EQ(NextFiring(Cron(expr), At("2026-01-01T00:00:00Z")), std::nullopt) << expr;
    EXPECT_THAT(NextFirings(Cron(expr), At("2026-01-01T00:00:00Z"), 10), IsEmpty()) << expr;
  }
  // Either day field may match: February's Mondays.
  EXPECT_EQ(Next("0 0 30 2 MON", "2026-01-01T00:00:00Z"), "2026-02-02 00:00 +00:00");
}

TEST(CronNextTest, RareDaysAreFoundDecadesAhead) {
  // "*/7" begins with a star, so the day fields are ANDed: a 29 February
  // that is a Sunday, 40 years apart around 2100.
  EXPECT_THAT(Firings("0 0 29 2 */7", "2026-01-01T00:00:00Z", 4),
              ElementsAre("2032-02-29 00:00 +00:00", "2060-02-29 00:00 +00:00",
                          "2088-02-29 00:00 +00:00", "2128-02-29 00:00 +00:00"));
}

// --- Vixie cron's day rule ---

TEST(CronNextTest, BothDayFieldsRestrictedMatchEither) {
  // 2026-04-15 is a Wednesday; the Mondays are the 6th, 13th, 20th, 27th.
  EXPECT_THAT(
      Firings("0 0 15 * MON", "2026-04-01T00:00:00Z", 6),
      ElementsAre("2026-04-06 00:00 +00:00", "2026-04-13 00:00 +00:00", "2026-04-15 00:00 +00:00",
                  "2026-04-20 00:00 +00:00", "2026-04-27 00:00 +00:00", "2026-05-04 00:00 +00:00"));
  // Every day of the month restricts the field too: every day matches.
  EXPECT_THAT(
      Firings("0 0 1-31 * MON", "2026-04-01T00:00:00Z", 3),
      ElementsAre("2026-04-02 00:00 +00:00", "2026-04-03 00:00 +00:00", "2026-04-04 00:00 +00:00"));
}

TEST(CronNextTest, ADayFieldBeginningWithAStarIsAnded) {
  EXPECT_THAT(Firings("0 0 */2 * MON", "2026-04-01T00:00:00Z", 4),
              ElementsAre("2026-04-13 00:00 +00:00", "2026-04-27 00:00 +00:00",
                          "2026-05-11 00:00 +00:00", "2026-05-25 00:00 +00:00"));
  EXPECT_THAT(Firings("0 0 15 * *", "2026-04-01T00:00:00Z", 2),
              ElementsAre("2026-04-15 00:00 +00:00", "2026-05-15 00:00 +00:00"));
  EXPECT_THAT(Firings("0 0 * * MON", "2026-04-01T00:00:00Z", 2),
              ElementsAre("2026-04-06 00:00 +00:00", "2026-04-13 00:00 +00:00"));
}

TEST(CronNextTest, Macros) {
  const std::string after = "2026-04-01T12:34:00Z";  // a Wednesday
  EXPECT_EQ(Next("@hourly", after), "2026-04-01 13:00 +00:00");
  EXPECT_EQ(Next("@daily", after), "2026-04-02 00:00 +00:00");
  EXPECT_EQ(Next("@midnight", after), "2026-04-02 00:00 +00:00");
  EXPECT_EQ(Next("@weekly", after), "2026-04-05 00:00 +00:00");
  EXPECT_EQ(Next("@monthly", after), "2026-05-01 00:00 +00:00");
  EXPECT_EQ(Next("@yearly", after), "2027-01-01 00:00 +00:00");
  EXPECT_EQ(Next("@annually", after), "2027-01-01 00:00 +00:00");
}

TEST(CronNextTest, NextFiringsAreStrictlyIncreasingAndCounted) {
  EXPECT_THAT(
      Firings("*/20 * * * *", "2026-04-01T23:30:00Z", 3),
      ElementsAre("2026-04-01 23:40 +00:00", "2026-04-02 00:00 +00:00", "2026-04-02 00:20 +00:00"));
  EXPECT_THAT(Firings("* * * * *", "2026-04-01T23:30:00Z", 0), IsEmpty());
  EXPECT_EQ(NextFirings(Cron("* * * * *"), At("2026-04-01T23:30:00Z"), 10).size(), 10u);
}

TEST(CronNextTest, NothingAfterTheYear9999) {
  EXPECT_EQ(Next("0 0 1 1 *", "9999-06-01T00:00:00Z"), "never");
  EXPECT_EQ(Next("59 23 31 12 *", "9999-12-31T00:00:00Z"), "9999-12-31 23:59 +00:00");
  EXPECT_EQ(Next("59 23 31 12 *", "9999-12-31T00:00:00Z", Zone("Asia/Tokyo")),
            "9999-12-31 23:59 +09:00");
  // 9999-12-31 23:59 in New York is already the year 10000 in UTC.
  EXPECT_EQ(Next("59 23 31 12 *", "9999-12-31T00:00:00Z", Zone("America/New_York")), "never");
  EXPECT_EQ(NextFiring(Cron("* * * * *"), kUnixMsMax), std::nullopt);
  EXPECT_EQ(NextFiring(Cron("* * * * *"), std::numeric_limits<TimeMs>::max()), std::nullopt);
  const std::optional<TimeMs> earliest =
      NextFiring(Cron("0 0 1 1 *", Zone("Europe/Berlin")), std::numeric_limits<TimeMs>::min());
  ASSERT_TRUE(earliest.has_value());
  EXPECT_GT(*earliest, std::numeric_limits<TimeMs>::min());
}

// --- Time zones and daylight saving time ---

TEST(CronNextTest, BerlinSpringForwardFiresSkippedTimesAtTheEndOfTheGap) {
  // 2026-03-29: 02:00 CET becomes 03:00 CEST.
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_THAT(Firings("30 2 * * *", "2026-03-27T12:00:00+01:00", 4, berlin),
              ElementsAre("2026-03-28 02:30 +01:00", "2026-03-29 03:00 +02:00",
                          "2026-03-30 02:30 +02:00", "2026-03-31 02:30 +02:00"));
  EXPECT_THAT(Firings("*/15 * * * *", "2026-03-29T01:30:00+01:00", 4, berlin),
              ElementsAre("2026-03-29 01:45 +01:00", "2026-03-29 03:00 +02:00",
                          "2026-03-29 03:15 +02:00", "2026-03-29 03:30 +02:00"));
  EXPECT_THAT(Firings("0 * * * *", "2026-03-29T00:30:00+01:00", 4, berlin),
              ElementsAre("2026-03-29 01:00 +01:00", "2026-03-29 03:00 +02:00",
                          "2026-03-29 04:00 +02:00", "2026-03-29 05:00 +02:00"));
  // Once: the gap's firing is not repeated after it.
  EXPECT_EQ(Next("45 2 * * *", "2026-03-29T03:00:00+02:00", berlin), "2026-03-30 02:45 +02:00");
  EXPECT_EQ(Next("45 2 * * *", "2026-03-29T01:59:59+01:00", berlin), "2026-03-29 03:00 +02:00");
}

TEST(CronNextTest, BerlinFallBackFiresRepeatedTimesOnceAtTheFirstOccurrence) {
  // 2026-10-25: 03:00 CEST becomes 02:00 CET.
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_THAT(
      Firings("30 2 * * *", "2026-10-24T12:00:00+02:00", 3, berlin),
      ElementsAre("2026-10-25 02:30 +02:00", "2026-10-26 02:30 +01:00", "2026-10-27 02:30 +01:00"));
  EXPECT_THAT(
      Firings("*/15 * * * *", "2026-10-25T01:40:00+02:00", 7, berlin),
      ElementsAre("2026-10-25 01:45 +02:00", "2026-10-25 02:00 +02:00", "2026-10-25 02:15 +02:00",
                  "2026-10-25 02:30 +02:00", "2026-10-25 02:45 +02:00", "2026-10-25 03:00 +01:00",
                  "2026-10-25 03:15 +01:00"));
  EXPECT_THAT(Firings("0 * * * *", "2026-10-25T00:30:00+02:00", 4, berlin),
              ElementsAre("2026-10-25 01:00 +02:00", "2026-10-25 02:00 +02:00",
                          "2026-10-25 03:00 +01:00", "2026-10-25 04:00 +01:00"));
  // From inside the first occurrence, the rest of it is still ahead.
  EXPECT_EQ(Next("30 2 * * *", "2026-10-25T02:10:00+02:00", berlin), "2026-10-25 02:30 +02:00");
  // From inside the second, it has all fired.
  EXPECT_EQ(Next("30 2 * * *", "2026-10-25T02:10:00+01:00", berlin), "2026-10-26 02:30 +01:00");
  EXPECT_EQ(Next("*/15 * * * *", "2026-10-25T02:10:00+01:00", berlin), "2026-10-25 03:00 +01:00");
  EXPECT_EQ(Next("30 2 * * *", "2026-10-25T02:30:00+02:00", berlin), "2026-10-26 02:30 +01:00");
}

TEST(CronNextTest, NewYorkSpringForwardFiresSkippedTimesAtTheEndOfTheGap) {
  // 2026-03-08: 02:00 EST becomes 03:00 EDT.
  const absl::TimeZone new_york = Zone("America/New_York");
  EXPECT_THAT(
      Firings("30 2 * * *", "2026-03-07T12:00:00-05:00", 3, new_york),
      ElementsAre("2026-03-08 03:00 -04:00", "2026-03-09 02:30 -04:00", "2026-03-10 02:30 -04:00"));
  EXPECT_THAT(
      Firings("*/15 * * * *", "2026-03-08T01:30:00-05:00", 3, new_york),
      ElementsAre("2026-03-08 01:45 -05:00", "2026-03-08 03:00 -04:00", "2026-03-08 03:15 -04:00"));
  EXPECT_THAT(
      Firings("0 * * * *", "2026-03-08T00:30:00-05:00", 3, new_york),
      ElementsAre("2026-03-08 01:00 -05:00", "2026-03-08 03:00 -04:00", "2026-03-08 04:00 -04:00"));
}

TEST(CronNextTest, NewYorkFallBackFiresRepeatedTimesOnceAtTheFirstOccurrence) {
  // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00-01:59 comes twice.
  const absl::TimeZone new_york = Zone("America/New_York");
  EXPECT_THAT(
      Firings("30 1 * * *", "2026-10-31T12:00:00-04:00", 3, new_york),
      ElementsAre("2026-11-01 01:30 -04:00", "2026-11-02 01:30 -05:00", "2026-11-03 01:30 -05:00"));
  // 02:30 is not repeated in New York: an ordinary day.
  EXPECT_THAT(Firings("30 2 * * *", "2026-10-31T12:00:00-04:00", 2, new_york),
              ElementsAre("2026-11-01 02:30 -05:00", "2026-11-02 02:30 -05:00"));
  EXPECT_THAT(
      Firings("*/15 * * * *", "2026-11-01T00:40:00-04:00", 7, new_york),
      ElementsAre("2026-11-01 00:45 -04:00", "2026-11-01 01:00 -04:00", "2026-11-01 01:15 -04:00",
                  "2026-11-01 01:30 -04:00", "2026-11-01 01:45 -04:00", "2026-11-01 02:00 -05:00",
                  "2026-11-01 02:15 -05:00"));
  EXPECT_THAT(Firings("0 * * * *", "2026-10-31T23:30:00-04:00", 4, new_york),
              ElementsAre("2026-11-01 00:00 -04:00", "2026-11-01 01:00 -04:00",
                          "2026-11-01 02:00 -05:00", "2026-11-01 03:00 -05:00"));
  EXPECT_EQ(Next("30 1 * * *", "2026-11-01T01:10:00-05:00", new_york), "2026-11-02 01:30 -05:00");
}

TEST(CronNextTest, ASkippedMidnightFiresAtTheEndOfTheGap) {
  // Sao Paulo sprang forward at midnight: 2018-11-04 00:00 became 01:00.
  const absl::TimeZone sao_paulo = Zone("America/Sao_Paulo");
  EXPECT_THAT(Firings("@daily", "2018-11-03T12:00:00-03:00", 2, sao_paulo),
              ElementsAre("2018-11-04 01:00 -02:00", "2018-11-05 00:00 -02:00"));
}

TEST(CronNextTest, ASkippedDayFiresOnceAtItsEnd) {
  // Samoa crossed the date line: 2011-12-29 24:00 (-10:00) was 2011-12-31
  // 00:00 (+14:00), and the 30th never was.
  const absl::TimeZone apia = Zone("Pacific/Apia");
  EXPECT_THAT(Firings("0 12 * * *", "2011-12-29T13:00:00-10:00", 2, apia),
              ElementsAre("2011-12-31 00:00 +14:00", "2011-12-31 12:00 +14:00"));
}

TEST(CronNextTest, UtcHasNoGapsOrRepeats) {
  EXPECT_THAT(
      Firings("*/15 * * * *", "2026-03-29T00:40:00Z", 3),
      ElementsAre("2026-03-29 00:45 +00:00", "2026-03-29 01:00 +00:00", "2026-03-29 01:15 +00:00"));
  EXPECT_EQ(Next("30 2 * * *", "2026-10-25T00:00:00Z", Zone("UTC")), "2026-10-25 02:30 +00:00");
}

// --- Fixed intervals ---

TEST(CronNextTest, EveryIntervalFiresOnItsGrid) {
  const Schedule every_10s = EverySchedule{10'000};
  EXPECT_EQ(NextFiring(every_10s, 12'345), 20'000);
  EXPECT_EQ(NextFiring(every_10s, 20'000), 30'000);
  EXPECT_EQ(NextFiring(every_10s, 19'999), 20'000);
  EXPECT_EQ(NextFiring(every_10s, -1), 0);
  EXPECT_EQ(NextFiring(every_10s, -10'000), 0);
  EXPECT_EQ(NextFiring(every_10s, -10'001), -10'000);
  EXPECT_THAT(NextFirings(every_10s, At("2026-04-01T12:00:05Z"), 3),
              ElementsAre(At("2026-04-01T12:00:10Z"), At("2026-04-01T12:00:20Z"),
                          At("2026-04-01T12:00:30Z")));

  const Schedule anchored = EverySchedule{60'000, 5'000};
  EXPECT_EQ(NextFiring(anchored, 0), 5'000);
  EXPECT_EQ(NextFiring(anchored, 5'000), 65'000);
  EXPECT_EQ(NextFiring(anchored, -55'001), -55'000);
}

TEST(CronNextTest, EveryIntervalEdges) {
  EXPECT_EQ(NextFiring(EverySchedule{0}, 0), std::nullopt);
  EXPECT_EQ(NextFiring(EverySchedule{-5}, 0), std::nullopt);
  EXPECT_EQ(NextFiring(EverySchedule{1}, kUnixMsMax - 1), kUnixMsMax);
  EXPECT_EQ(NextFiring(EverySchedule{1}, kUnixMsMax), std::nullopt);
  EXPECT_EQ(NextFiring(EverySchedule{1}, std::numeric_limits<TimeMs>::max()), std::nullopt);
  EXPECT_EQ(NextFiring(EverySchedule{1}, std::numeric_limits<TimeMs>::min()),
            std::numeric_limits<TimeMs>::min() + 1);
  // A difference of anchor and instant that overflows 64 bits.
  const Schedule far_anchor =
      EverySchedule{kDurationMsMax, std::numeric_limits<TimeMs>::max() - 10};
  const std::optional<TimeMs> next = NextFiring(far_anchor, std::numeric_limits<TimeMs>::min());
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next, std::numeric_limits<TimeMs>::min());
  EXPECT_LE(*next, std::numeric_limits<TimeMs>::min() + kDurationMsMax);
  EXPECT_THAT(NextFirings(EverySchedule{0}, 0, 10), IsEmpty());
}

// --- Time zone names ---

TEST(CronNextTest, LoadsZonesFromTheSystemTzdata) {
  ASSERT_TRUE(LoadScheduleTimeZone("Europe/Berlin").ok());
  EXPECT_EQ(LoadScheduleTimeZone("Europe/Berlin")->name(), "Europe/Berlin");
  EXPECT_TRUE(LoadScheduleTimeZone("America/New_York").ok());
  EXPECT_TRUE(LoadScheduleTimeZone("UTC").ok());
  EXPECT_TRUE(LoadScheduleTimeZone("Etc/GMT+5").ok());
}

TEST(CronNextTest, UnknownZonesAreNamedWithWhereNamesComeFrom) {
  const absl::StatusOr<absl::TimeZone> mars = LoadScheduleTimeZone("Mars/Olympus");
  ASSERT_FALSE(mars.ok());
  EXPECT_EQ(mars.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(mars.status().message(),
            "unknown time zone \"Mars/Olympus\": not in this host's tzdata; want an IANA name "
            "such as Europe/Berlin, America/New_York or UTC (the names under "
            "/usr/share/zoneinfo)");
  for (const char* bad : {"", "/etc/localtime", "../../etc/passwd", "Europe//Berlin",
                          "Europe/Berlin ", "file:Europe/Berlin", "Europe/Berlin/"}) {
    const absl::StatusOr<absl::TimeZone> zone = LoadScheduleTimeZone(bad);
    ASSERT_FALSE(zone.ok()) << bad;
    EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(zone.status().message(),
              "unknown time zone \"" + std::string(bad) +
                  "\": not a time zone name; want an IANA name such as Europe/Berlin, "
                  "America/New_York or UTC (the names under /usr/share/zoneinfo)");
  }
  const absl::StatusOr<absl::TimeZone> local = LoadScheduleTimeZone("localtime");
  ASSERT_FALSE(local.ok());
  EXPECT_THAT(std::string(local.status().message()),
              ::testing::StartsWith("time zone \"localtime\": this host's own zone"));
}

}  // namespace
}  // namespace jobq
