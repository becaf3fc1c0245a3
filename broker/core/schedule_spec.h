#pragma once
// What makes a ScheduleSpec (proto/jobq/schedule.proto) one the broker can
// keep: a name, a timing that parses, a time zone in the system's tzdata
// and a job template a SUBMIT would accept. Checked when a schedule is
// added and again when one is read back from the store. Pure functions but
// for the tzdata read; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/cron_schedule.h"
#include "jobq/schedule.pb.h"

namespace jobq::broker::core {

inline constexpr size_t kScheduleNameMax = 200;
inline constexpr TimeMs kScheduleEveryMinMs = 1000;
inline constexpr TimeMs kScheduleEveryMaxMs = 366LL * 24 * 3600 * 1000;
// Idempotency keys with this prefix are the broker's own (a firing's
// key); a SUBMIT that carries one is refused.
inline constexpr std::string_view kReservedKeyPrefix = "jobq:";

// INVALID_ARGUMENT naming the field and what is allowed, for: a name that
// is empty, too long or has a character outside [A-Za-z0-9._-]; no timing;
// a cron expression that does not parse or can never fire; an interval out
// of [1 s, 366 days]; a time zone with --every, or one not in tzdata; a
// template without a task, with a payload over `payload_bytes_max`, with a
// time out of bounds, or with a field the broker sets itself.
absl::StatusOr<Schedule> CheckScheduleSpec(const ::jobq::admin::ScheduleSpec& spec,
                                           size_t payload_bytes_max);

// The same timing without the template's checks, for a stored schedule:
// its template was checked when it was added.
absl::StatusOr<Schedule> TimingOf(const ::jobq::admin::ScheduleSpec& spec);

// The idempotency key of the job a firing of `name` at `fire_ms` creates:
// the same instant always gives the same key, so a firing the store saw
// before a crash is recognised after it.
std::string FiringKey(std::string_view name, TimeMs fire_ms);

// "--every 10s" or "--cron '*/5 * * * *' --tz Europe/Berlin", for tables.
std::string DescribeTiming(const ::jobq::admin::ScheduleSpec& spec);

}  // namespace jobq::broker::core
