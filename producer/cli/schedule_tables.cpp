#include "producer/cli/schedule_tables.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/job_id.h"
#include "common/job_state.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/jobs_table.h"
#include "producer/cli/status_table.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

// A broken schedule has no next firing either: it says why instead.
std::string StateOf(const admin::ScheduleInfo& schedule) {
  if (!schedule.broken().empty()) {
    return "broken";
  }
  return schedule.paused() ? "paused" : "active";
}

std::string OverlapName(admin::ScheduleSpec::Overlap overlap) {
  return overlap == admin::ScheduleSpec::OVERLAP_SKIP ? "skip" : "allow";
}

std::string CatchUpName(admin::ScheduleSpec::CatchUp catch_up) {
  switch (catch_up) {
    case admin::ScheduleSpec::CATCH_UP_NONE:
      return "none";
    case admin::ScheduleSpec::CATCH_UP_ALL:
      return "all";
    default:
      return "one";
  }
}

std::string LastJob(const admin::ScheduleInfo& schedule) {
  if (schedule.last_job_id().empty()) {
    return "-";
  }
  const std::string state = schedule.last_job_state() == wire::JOB_STATE_UNSPECIFIED
                                ? "expired"
                                : std::string(JobStateName(schedule.last_job_state()));
  return absl::StrCat(JobIdText(schedule.last_job_id()), " (", state, ")");
}

std::string Rfc3339(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

Json TimeOrNull(int64_t unix_ms) { return unix_ms == 0 ? Json(nullptr) : Json(Rfc3339(unix_ms)); }

}  // namespace

std::string FormatScheduleTiming(const admin::ScheduleSpec& spec) {
  if (spec.timing_case() == admin::ScheduleSpec::kEveryMs) {
    return "every " + FormatDuration(spec.every_ms());
  }
  return absl::StrCat("cron ", spec.cron(),
                      spec.time_zone().empty() ? "" : " (" + spec.time_zone() + ")");
}

std::string FormatSchedulesTable(const admin::ListSchedulesResponse& schedules) {
  if (schedules.schedules().empty()) {
    return "no schedules\n";
  }
  std::vector<TableRow> rows = {
      {"SCHEDULE", "TIMING", "TASK", "QUEUE", "STATE", "NEXT", "LAST JOB", "FIRED", "SKIPPED"}};
  for (const admin::ScheduleInfo& schedule : schedules.schedules()) {
    const admin::ScheduleSpec& spec = schedule.spec();
    rows.push_back({spec.name(), FormatScheduleTiming(spec), spec.job().task(),
                    spec.job().queue().empty() ? "default" : spec.job().queue(), StateOf(schedule),
                    schedule.next_fire_ms() == 0 ? "-" : FormatUtcMs(schedule.next_fire_ms()),
                    LastJob(schedule), absl::StrCat(schedule.fired()),
                    absl::StrCat(schedule.skipped())});
  }
  return FormatTable(rows);
}

std::string FormatScheduleDetail(const admin::ScheduleInfo& schedule, int64_t now_ms) {
  const admin::ScheduleSpec& spec = schedule.spec();
  std::vector<TableRow> rows;
  rows.push_back({"schedule", spec.name()});
  rows.push_back({"timing", FormatScheduleTiming(spec)});
  rows.push_back({"task", spec.job().task()});
  rows.push_back({"queue", spec.job().queue().empty() ? "default" : spec.job().queue()});
  rows.push_back(
      {"args", OneLine(spec.job().payload().empty() ? "{}" : spec.job().payload(), 2000)});
  rows.push_back({"overlap", OverlapName(spec.overlap())});
  rows.push_back({"catch-up", CatchUpName(spec.catch_up())});
  rows.push_back({"state", StateOf(schedule)});
  if (!schedule.broken().empty()) {
    rows.push_back({"broken", schedule.broken()});
  }
  rows.push_back({"created", FormatWhen(schedule.created_ms(), now_ms)});
  if (schedule.last_fire_ms() != 0) {
    rows.push_back({"last firing", FormatWhen(schedule.last_fire_ms(), now_ms)});
  }
  rows.push_back({"last job", LastJob(schedule)});
  rows.push_back({"fired", absl::StrCat(schedule.fired())});
  rows.push_back({"skipped", absl::StrCat(schedule.skipped())});
  if (!schedule.last_skip().empty()) {
    rows.push_back({"last skip", schedule.last_skip()});
  }
  if (schedule.next_fires_ms().empty()) {
    rows.push_back(
        {"next", schedule.next_fire_ms() == 0 ? "-" : FormatWhen(schedule.next_fire_ms(), now_ms)});
  }
  for (int i = 0; i < schedule.next_fires_ms_size(); ++i) {
    rows.push_back({i == 0 ? "next" : "", FormatWhen(schedule.next_fires_ms(i), now_ms)});
  }
  return FormatTable(rows);
}

std::string FormatScheduleJson(const admin::ScheduleInfo& schedule) {
  const admin::ScheduleSpec& spec = schedule.spec();
  Json json;
  json["name"] = spec.name();
  if (spec.timing_case() == admin::ScheduleSpec::kEveryMs) {
    json["every"] = FormatDuration(spec.every_ms());
    json["every_ms"] = spec.every_ms();
  } else {
    json["cron"] = spec.cron();
    json["time_zone"] = spec.time_zone().empty() ? "UTC" : spec.time_zone();
  }
  json["task"] = spec.job().task();
  json["queue"] = spec.job().queue().empty() ? "default" : spec.job().queue();
  json["args"] = Json::parse(spec.job().payload().empty() ? "{}" : spec.job().payload(), nullptr,
                             /*allow_exceptions=*/false);
  json["overlap"] = OverlapName(spec.overlap());
  json["catch_up"] = CatchUpName(spec.catch_up());
  json["state"] = StateOf(schedule);
  if (!schedule.broken().empty()) {
    json["broken"] = schedule.broken();
  }
  json["created"] = TimeOrNull(schedule.created_ms());
  json["next_fire"] = TimeOrNull(schedule.next_fire_ms());
  if (schedule.next_fires_ms_size() > 0) {
    Json next = Json::array();
    for (int64_t at : schedule.next_fires_ms()) {
      next.push_back(Rfc3339(at));
    }
    json["next_fires"] = std::move(next);
  }
  json["last_fire"] = TimeOrNull(schedule.last_fire_ms());
  if (schedule.last_job_id().empty()) {
    json["last_job"] = nullptr;
    json["last_job_state"] = nullptr;
  } else {
    json["last_job"] = JobIdText(schedule.last_job_id());
    json["last_job_state"] = schedule.last_job_state() == wire::JOB_STATE_UNSPECIFIED
                                 ? "expired"
                                 : std::string(JobStateName(schedule.last_job_state()));
  }
  json["fired"] = schedule.fired();
  json["skipped"] = schedule.skipped();
  json["last_skip"] = schedule.last_skip().empty() ? Json(nullptr) : Json(schedule.last_skip());
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace jobq::cli
