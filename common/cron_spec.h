#pragma once
// Cron expressions: crontab(5)'s five fields (minute hour day-of-month month
// day-of-week) or an @ macro, parsed into the set of values each field
// allows. Pure: no clock, no I/O. A CronSpec is a plain value, as
// thread-safe as any const value; common/cron_schedule.h says when one fires.
//
// Syntax, as in Vixie cron and cronie:
//   field = item ["," item]...
//   item  = "*" ["/" step] | value ["-" value] ["/" step]
//   value = a number or, in the month and day-of-week fields, a name:
//           JAN-DEC, SUN-SAT (three letters, any case)
// Allowed: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12,
// day-of-week 0-7 (0 and 7 are both Sunday). "*/n" is every n-th value from
// the field's first, "a-b/n" every n-th from a to b, "a/n" every n-th from a
// to the field's last (cronie's and robfig/cron's reading; Vixie rejects it).
// A step is 1 to the field's number of values. Ranges do not wrap:
// "FRI-MON" is a reversed range, write "FRI-SAT,SUN,MON".
// Macros (any case): @yearly and @annually "0 0 1 1 *", @monthly
// "0 0 1 * *", @weekly "0 0 * * 0", @daily and @midnight "0 0 * * *",
// @hourly "0 * * * *". @reboot means nothing to a broker's schedule and is
// rejected.
//
// Days, by Vixie cron's rule (which cronie and POSIX keep): when both
// day-of-month and day-of-week are restricted, a day matches if EITHER
// matches ("0 0 13 * FRI" fires on every 13th and every Friday); otherwise
// it must match both. As in Vixie cron, a day field counts as unrestricted
// when it begins with "*", so "0 0 */2 * MON" fires on odd-numbered days
// that are Mondays, not on every odd day and every Monday.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace jobq {

// The values each field allows, as bit sets: bit v set = value v allowed.
// ParseCron sets at least one bit in each; day-of-week 7 is stored as 0.
struct CronSpec {
  uint64_t minutes = 0;        // bits 0-59
  uint32_t hours = 0;          // bits 0-23
  uint32_t days_of_month = 0;  // bits 1-31
  uint16_t months = 0;         // bits 1-12
  uint8_t days_of_week = 0;    // bits 0-6, 0 = Sunday
  // The field began with "*" (Vixie's DOM_STAR and DOW_STAR): it does not
  // count as restricted in the day rule above, even with a step.
  bool day_of_month_star = false;
  bool day_of_week_star = false;

  friend bool operator==(const CronSpec&, const CronSpec&) = default;
};

// Parses a five-field expression or a macro; surrounding whitespace is
// ignored and fields are separated by any run of spaces or tabs.
// INVALID_ARGUMENT naming the field, the bad item and what is allowed, e.g.
// `minute field "61": out of range 0-59`, for a wrong number of fields, an
// unknown macro, a bad number, a value out of range, a reversed range, a
// zero or too large step, an unknown name, or an empty list item.
absl::StatusOr<CronSpec> ParseCron(std::string_view expr);

// Whether `day` passes the month and day fields (with the day rule above).
bool CronMatchesDay(const CronSpec& spec, absl::CivilDay day);

// Whether the wall-clock minute `minute` matches all five fields.
bool CronMatches(const CronSpec& spec, absl::CivilMinute minute);

}  // namespace jobq
