// Cron expressions (common/cron_spec.h) and their next firings
// (common/cron_schedule.h). Any string either parses or is refused with
// INVALID_ARGUMENT and a message. A parsed one's next firing, from instants
// around daylight-saving changes in zones with gaps, repeats, a half-hour
// shift and a skipped day, is strictly later, no later than kUnixMsMax, and
// the one a slow oracle finds: the oracle walks the zone's wall clock a
// real minute at a time and fires when the clock first reaches, or jumps
// past, a matching minute (the header's rule, stated independently).
//
// The oracle's minute steps assume offsets and transitions on whole
// minutes and clocks that never fall back by more than kLookBackMinutes,
// true of every zone and instant below.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/check.h"
#include "common/cron_schedule.h"
#include "common/cron_spec.h"
#include "common/time_limits.h"

namespace {

using jobq::CronSpec;
using jobq::TimeMs;

constexpr TimeMs kMinuteMs = 60'000;
constexpr int kLookBackMinutes = 180;
constexpr int kWindowMinutes = 360;

struct Case {
  absl::TimeZone zone;
  TimeMs after_ms;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = [] {
    const std::pair<const char*, const char*> named[] = {
        {"UTC", "2026-02-28T23:59:59.999Z"},
        {"UTC", "1969-12-31T23:30:00.5Z"},
        {"UTC", "9999-12-31T20:00:00Z"},
        {"Europe/Berlin", "2026-03-29T00:30:00+01:00"},  // 02:00 -> 03:00
        {"Europe/Berlin", "2026-10-25T01:30:00+02:00"},  // 03:00 -> 02:00
        {"Europe/Berlin", "2026-10-25T02:20:00+01:00"},  // in the repeat
        {"America/New_York", "2026-03-08T01:00:00-05:00"},
        {"America/New_York", "2026-11-01T00:50:00-04:00"},
        {"Australia/Lord_Howe", "2026-10-04T01:20:00+10:30"},  // 02:00 -> 02:30
        {"Australia/Lord_Howe", "2026-04-05T01:20:00+11:00"},  // 02:00 -> 01:30
        {"Pacific/Apia", "2011-12-29T20:00:00-10:00"},         // no 30 December
    };
    std::vector<Case> out;
    for (const auto& [zone_name, after] : named) {
      const absl::StatusOr<absl::TimeZone> zone = jobq::LoadScheduleTimeZone(zone_name);
      JOBQ_CHECK(zone.ok()) << zone.status();
      absl::Time time;
      std::string error;
      JOBQ_CHECK(absl::ParseTime(absl::RFC3339_full, after, &time, &error)) << error;
      out.push_back({*zone, absl::ToUnixMillis(time)});
    }
    return out;
  }();
  return cases;
}

TimeMs FloorToMinute(TimeMs ms) {
  const TimeMs rest = ms % kMinuteMs;
  return rest < 0 ? ms - rest - kMinuteMs : ms - rest;
}

absl::CivilMinute WallMinute(TimeMs ms, const absl::TimeZone& zone) {
  return absl::ToCivilMinute(absl::FromUnixMillis(ms), zone);
}

// The fields, matched again without the library's matcher.
bool Matches(const CronSpec& spec, absl::CivilMinute m) {
  const int weekday = (static_cast<int>(absl::GetWeekday(absl::CivilDay(m))) + 1) % 7;
  const bool dom = (spec.days_of_month >> m.day() & 1) != 0;
  const bool dow = (spec.days_of_week >> weekday & 1) != 0;
  const bool day = spec.day_of_month_star || spec.day_of_week_star ? dom && dow : dom || dow;
  return day && (spec.minutes >> m.minute() & 1) != 0 && (spec.hours >> m.hour() & 1) != 0 &&
         (spec.months >> m.month() & 1) != 0;
}

// The latest wall-clock minute the clock had shown by `at_ms`.
absl::CivilMinute HighWater(TimeMs at_ms, const absl::TimeZone& zone) {
  absl::CivilMinute high = WallMinute(at_ms, zone);
  const TimeMs boundary = FloorToMinute(at_ms);
  for (int i = 0; i <= kLookBackMinutes; ++i) {
    high = std::max(high, WallMinute(boundary - i * kMinuteMs, zone));
  }
  return high;
}

// Whether a clock that reaches `to` with `from` its latest minute so far
// passes a matching minute.
bool ReachesMatch(const CronSpec& spec, absl::CivilMinute from, absl::CivilMinute to) {
  for (absl::CivilMinute m = from + 1; m <= to; ++m) {
    if (Matches(spec, m)) {
      return true;
    }
  }
  return false;
}

// The first firing after `after_ms` within kWindowMinutes, minute by minute.
std::optional<TimeMs> OracleNext(const CronSpec& spec, const absl::TimeZone& zone,
                                 TimeMs after_ms) {
  absl::CivilMinute high = HighWater(after_ms, zone);
  TimeMs t = FloorToMinute(after_ms) + kMinuteMs;
  for (int i = 0; i < kWindowMinutes; ++i, t += kMinuteMs) {
    const absl::CivilMinute wall = WallMinute(t, zone);
    if (wall > high) {
      if (ReachesMatch(spec, high, wall)) {
        return t;
      }
      high = wall;
    }
  }
  return std::nullopt;
}

bool OracleFiresAt(const CronSpec& spec, const absl::TimeZone& zone, TimeMs t) {
  if (t % kMinuteMs != 0) {
    return false;
  }
  const absl::CivilMinute high = HighWater(t - 1, zone);
  const absl::CivilMinute wall = WallMinute(t, zone);
  return wall > high && ReachesMatch(spec, high, wall);
}

void CheckFirings(const CronSpec& spec, const Case& c) {
  const jobq::Schedule schedule = jobq::CronSchedule{spec, c.zone};
  const std::optional<TimeMs> next = jobq::NextFiring(schedule, c.after_ms);
  std::optional<TimeMs> expected = OracleNext(spec, c.zone, c.after_ms);
  if (expected.has_value() && *expected > jobq::kUnixMsMax) {
    expected.reset();
  }
  if (expected.has_value()) {
    JOBQ_CHECK(next == expected) << c.zone.name() << " " << c.after_ms << ": " << next.value_or(-1)
                                 << " != " << *expected;
  }
  if (!next.has_value()) {
    return;
  }
  JOBQ_CHECK(*next > c.after_ms && *next <= jobq::kUnixMsMax) << *next;
  JOBQ_CHECK(expected.has_value() ||
             *next >= FloorToMinute(c.after_ms) + (kWindowMinutes + 1) * kMinuteMs)
      << c.zone.name() << " " << c.after_ms << ": " << *next << " missed by the oracle";
  JOBQ_CHECK(OracleFiresAt(spec, c.zone, *next)) << c.zone.name() << " " << *next;

  const std::vector<TimeMs> firings = jobq::NextFirings(schedule, c.after_ms, 3);
  JOBQ_CHECK(!firings.empty() && firings[0] == *next);
  for (size_t i = 1; i < firings.size(); ++i) {
    JOBQ_CHECK(firings[i] > firings[i - 1]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<CronSpec> spec = jobq::ParseCron(text);
  if (!spec.ok()) {
    JOBQ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument) << spec.status();
    JOBQ_CHECK(!spec.status().message().empty());
    return 0;
  }
  JOBQ_CHECK(spec->minutes != 0 && spec->hours != 0 && spec->days_of_month != 0 &&
             spec->months != 0 && spec->days_of_week != 0);
  JOBQ_CHECK((spec->minutes >> 60) == 0 && (spec->hours >> 24) == 0 &&
             (spec->days_of_month & 1) == 0 && (spec->months & 1) == 0 &&
             (spec->months >> 13) == 0 && (spec->days_of_week >> 7) == 0);
  for (const Case& c : Cases()) {
    CheckFirings(*spec, c);
  }
  return 0;
}
