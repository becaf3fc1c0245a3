#pragma once
// What `jobq schedule list|show|add|pause|resume` print: a table and a
// key/value block for people, one JSON object per schedule for scripts.
// Pure; thread-safe.

#include <cstdint>
#include <string>

#include "jobq/admin.pb.h"

namespace jobq::cli {

// Columns: SCHEDULE, TIMING, TASK, QUEUE, STATE (active|paused|broken),
// NEXT (UTC), LAST JOB (its state), FIRED, SKIPPED. "no schedules" when
// there are none.
std::string FormatSchedulesTable(const admin::ListSchedulesResponse& schedules);

// `jobq schedule show NAME`: every field, the next firings one per line.
std::string FormatScheduleDetail(const admin::ScheduleInfo& schedule, int64_t now_ms);

// {"name", "cron"|"every", "time_zone", "task", "queue", "args", "overlap",
// "catch_up", "paused", "created", "next_fire", "next_fires", "last_fire",
// "last_job", "last_job_state", "fired", "skipped", "last_skip", "broken"}:
// times as RFC 3339 UTC, the job id as its UUID text. No newline.
std::string FormatScheduleJson(const admin::ScheduleInfo& schedule);

// "every 10s" or "cron */5 * * * * (Europe/Berlin)".
std::string FormatScheduleTiming(const admin::ScheduleSpec& spec);

}  // namespace jobq::cli
