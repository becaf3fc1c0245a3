#pragma once
// Schedules: when a broker's schedule fires. A schedule is either a cron
// expression (common/cron_spec.h) read on a time zone's wall clock, or a
// fixed interval (`--every 10s`). NextFiring gives the first firing strictly
// after an instant; the broker keeps the clock and passes times in, so all of
// this runs on fake time in tests. Pure functions on values, thread-safe;
// the only I/O is LoadScheduleTimeZone reading the system's tzdata.
//
// Time zones and daylight saving time. A cron schedule fires at the first
// instant at which the zone's wall clock shows a matching minute or has
// jumped past it (absl::FromCivil's order-preserving rule), so:
//  * A local time that does not exist, because the clocks spring forward
//    over it, fires once at the first instant after the gap, like Vixie
//    cron and cronie, which run skipped jobs right after the change. In
//    Europe/Berlin on 2026-03-29 (02:00 CET -> 03:00 CEST), "30 2 * * *"
//    fires at 03:00 CEST; "*/15 * * * *" fires 01:45 CET, then 03:00 CEST
//    once for 02:00-02:45 and 03:00 together, then 03:15 CEST.
//  * A local time that occurs twice, because the clocks fall back over it,
//    fires once, at its first occurrence. In Europe/Berlin on 2026-10-25
//    (03:00 CEST -> 02:00 CET), "30 2 * * *" fires at 02:30 CEST only;
//    "*/15 * * * *" fires 02:45 CEST, then nothing until 03:00 CET, an hour
//    and a quarter later. Unlike Vixie cron, schedules with wildcards get no
//    exception: each wall-clock minute fires at most once, whatever the
//    expression.
// So firings never go back in time and never come twice for one local
// minute; a schedule can fire less often than its expression says around a
// change of offset, never more.
//
// Searches are bounded: NextFiring steps by field (a month, a day, an hour at
// a time) over at most 400 years, one full cycle of the Gregorian calendar,
// after which any day-of-month/month/weekday combination that exists has
// recurred; and no firing is later than kUnixMsMax (the end of year 9999).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/cron_spec.h"

namespace jobq {

struct CronSchedule {
  CronSpec spec;
  absl::TimeZone time_zone;  // default: UTC
};

// Fires at anchor_ms + k * every_ms for every integer k: with the default
// anchor, on multiples of the interval since the unix epoch ("--every 1h"
// on the hour, UTC). The grid never depends on when the broker started, so
// a firing instant means the same after a restart.
struct EverySchedule {
  int64_t every_ms = 0;  // must be > 0; NextFiring gives nullopt otherwise
  TimeMs anchor_ms = 0;
};

using Schedule = std::variant<CronSchedule, EverySchedule>;

// The first firing instant (unix ms) strictly after `after_ms`; nullopt
// when there is none before kUnixMsMax: a spec that can never fire
// ("0 0 30 2 *", "0 0 31 4 *"), a non-positive interval, or the end of
// year 9999. Cron firings are whole wall-clock minutes, or the end of a
// gap (above).
std::optional<TimeMs> NextFiring(const Schedule& schedule, TimeMs after_ms);

// The next `count` firings after `after_ms`, in order (`jobq schedule
// show`'s next ten); fewer when the schedule stops firing.
std::vector<TimeMs> NextFirings(const Schedule& schedule, TimeMs after_ms, size_t count);

// A time zone by its IANA name ("Europe/Berlin", "America/New_York", "UTC")
// from the system's tzdata (/usr/share/zoneinfo, or $TZDIR). INVALID_ARGUMENT
// for a name that is not in it, or that is not a zone name at all: a path,
// "..", or "localtime" (whatever zone the host happens to be in, which a
// stored schedule must not depend on).
absl::StatusOr<absl::TimeZone> LoadScheduleTimeZone(std::string_view name);

}  // namespace jobq
