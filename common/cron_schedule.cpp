#include "common/cron_schedule.h"

#include <algorithm>
#include <bit>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/time_limits.h"

namespace jobq {
namespace {

// Every (month, day-of-month, weekday) that ever occurs occurs in any 400
// consecutive years: the Gregorian calendar repeats itself, weekdays
// included, every 146,097 days (20,871 weeks).
constexpr absl::civil_year_t kSearchYears = 400;
// Past any firing at or before kUnixMsMax in any zone (offsets are under a
// day).
constexpr absl::civil_year_t kLastYear = 10000;

// Only the bits CronSpec documents: a stray bit 60 in a hand-made spec must
// not become minute 60, which absl would normalize into the next hour.
constexpr uint64_t kMinuteBits = (uint64_t{1} << 60) - 1;
constexpr uint64_t kHourBits = (uint64_t{1} << 24) - 1;
constexpr uint64_t kDayOfMonthBits = ((uint64_t{1} << 32) - 1) & ~uint64_t{1};
constexpr uint64_t kMonthBits = ((uint64_t{1} << 13) - 1) & ~uint64_t{1};
constexpr uint64_t kDayOfWeekBits = (uint64_t{1} << 7) - 1;

// The lowest set bit of `bits` at or above `from`; -1 if none.
int NextBit(uint64_t bits, int from) {
  if (from >= 64) {
    return -1;
  }
  const uint64_t rest = bits & (~uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

int LongestMonthDays(int month) {
  if (month == 2) {
    return 29;
  }
  if (month == 4 || month == 6 || month == 9 || month == 11) {
    return 30;
  }
  return 31;
}

// A quick no for what can never fire ("0 0 30 2 *"), which the search would
// otherwise only find after 400 years of Februaries.
bool CanEverFire(const CronSpec& spec) {
  const uint64_t days = spec.days_of_month & kDayOfMonthBits;
  const uint64_t weekdays = spec.days_of_week & kDayOfWeekBits;
  const uint64_t months = spec.months & kMonthBits;
  if ((spec.minutes & kMinuteBits) == 0 || (spec.hours & kHourBits) == 0 || months == 0) {
    return false;
  }
  if (!spec.day_of_month_star && !spec.day_of_week_star) {
    // Either day field may match, and every month has every weekday.
    return days != 0 || weekdays != 0;
  }
  // Both must match: some month must have the lowest day.
  const int first_day = NextBit(days, 1);
  if (weekdays == 0 || first_day < 0) {
    return false;
  }
  for (int month = 1; month <= 12; ++month) {
    if ((months >> month & 1) != 0 && first_day <= LongestMonthDays(month)) {
      return true;
    }
  }
  return false;
}

// The first wall-clock minute at or after `from` that matches `spec`, no
// later than the end of `last_year`. Skips a month, a day or an hour at a
// time where the fields rule it out.
std::optional<absl::CivilMinute> NextMatch(const CronSpec& spec, absl::CivilMinute from,
                                           absl::civil_year_t last_year) {
  absl::CivilMinute c = from;
  while (c.year() <= last_year) {
    const int month = NextBit(spec.months & kMonthBits, c.month());
    if (month < 0) {
      c = absl::CivilMinute(absl::CivilYear(c) + 1);
      continue;
    }
    if (month != c.month()) {
      c = absl::CivilMinute(c.year(), month, 1, 0, 0);
    }
    const absl::CivilDay day(c);
    if (!CronMatchesDay(spec, day)) {
      c = absl::CivilMinute(day + 1);
      continue;
    }
    const int hour = NextBit(spec.hours & kHourBits, c.hour());
    if (hour < 0) {
      c = absl::CivilMinute(day + 1);
      continue;
    }
    if (hour != c.hour()) {
      c = absl::CivilMinute(c.year(), c.month(), c.day(), hour, 0);
    }
    const int minute = NextBit(spec.minutes & kMinuteBits, c.minute());
    if (minute < 0) {
      c = absl::CivilMinute(absl::CivilHour(c) + 1);
      continue;
    }
    return absl::CivilMinute(c.year(), c.month(), c.day(), c.hour(), minute);
  }
  return std::nullopt;
}

std::optional<TimeMs> NextCronFiring(const CronSchedule& schedule, TimeMs after_ms) {
  if (!CanEverFire(schedule.spec)) {
    return std::nullopt;
  }
  const absl::Time after = absl::FromUnixMillis(after_ms);
  // Every minute up to the wall clock's at `after` fired at or before it:
  // the clock showed it (or jumped past it) by then.
  absl::CivilMinute from = absl::ToCivilMinute(after, schedule.time_zone) + 1;
  const absl::civil_year_t last_year = std::min(from.year() + kSearchYears, kLastYear);
  while (true) {
    const std::optional<absl::CivilMinute> minute = NextMatch(schedule.spec, from, last_year);
    if (!minute.has_value()) {
      return std::nullopt;
    }
    // Repeated minutes map to their first occurrence and skipped ones to
    // the end of the gap (absl::FromCivil), as the header promises.
    const absl::Time firing = absl::FromCivil(*minute, schedule.time_zone);
    if (firing > after) {
      const TimeMs firing_ms = absl::ToUnixMillis(firing);
      if (firing_ms > kUnixMsMax) {
        return std::nullopt;
      }
      return firing_ms;
    }
    // `after` is in the second occurrence of repeated minutes, whose first
    // occurrence has passed; at most one repetition's worth of minutes.
    from = *minute + 1;
  }
}

std::optional<TimeMs> NextEveryFiring(const EverySchedule& schedule, TimeMs after_ms) {
  if (schedule.every_ms <= 0) {
    return std::nullopt;
  }
  // 128 bits: after_ms - anchor_ms may not fit 64.
  const __int128 offset = static_cast<__int128>(after_ms) - schedule.anchor_ms;
  __int128 periods = offset / schedule.every_ms;
  if (offset < 0 && offset % schedule.every_ms != 0) {
    --periods;  // division truncates towards zero; the grid wants the floor
  }
  const __int128 next = schedule.anchor_ms + (periods + 1) * schedule.every_ms;
  if (next > kUnixMsMax) {
    return std::nullopt;
  }
  return static_cast<TimeMs>(next);
}

std::string QuoteZone(absl::string_view name) {
  constexpr size_t kShownMax = 64;
  if (name.size() > kShownMax) {
    return absl::StrCat("\"", absl::CHexEscape(name.substr(0, kShownMax)), "...\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(name), "\"");
}

constexpr absl::string_view kZoneHelp =
    "want an IANA name such as Europe/Berlin, America/New_York or UTC (the names under "
    "/usr/share/zoneinfo)";

// IANA names are words joined by '/': no paths, which absl would read as
// files, and no "..".
bool IsZoneName(absl::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty()) {
      return false;
    }
    for (const char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+') {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

std::optional<TimeMs> NextFiring(const Schedule& schedule, TimeMs after_ms) {
  if (const auto* cron = std::get_if<CronSchedule>(&schedule)) {
    return NextCronFiring(*cron, after_ms);
  }
  return NextEveryFiring(std::get<EverySchedule>(schedule), after_ms);
}

std::vector<TimeMs> NextFirings(const Schedule& schedule, TimeMs after_ms, size_t count) {
  std::vector<TimeMs> firings;
  TimeMs after = after_ms;
  while (firings.size() < count) {
    const std::optional<TimeMs> next = NextFiring(schedule, after);
    if (!next.has_value()) {
      break;
    }
    firings.push_back(*next);
    after = *next;
  }
  return firings;
}

absl::StatusOr<absl::TimeZone> LoadScheduleTimeZone(std::string_view zone_name) {
  const absl::string_view name(zone_name.data(), zone_name.size());
  if (!IsZoneName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone ", QuoteZone(name), ": not a time zone name; ", kZoneHelp));
  }
  if (name == "localtime") {
    return absl::InvalidArgumentError(
        absl::StrCat("time zone \"localtime\": this host's own zone, which another host may not "
                     "share; ",
                     kZoneHelp));
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown time zone ", QuoteZone(name),
                                                   ": not in this host's tzdata; ", kZoneHelp));
  }
  return zone;
}

}  // namespace jobq
