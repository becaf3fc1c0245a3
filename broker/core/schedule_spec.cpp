#include "broker/core/schedule_spec.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/core/spec_limits.h"
#include "common/duration.h"

namespace jobq::broker::core {
namespace {

absl::Status CheckName(std::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("a schedule needs a name");
  }
  if (name.size() > kScheduleNameMax) {
    return absl::InvalidArgumentError(absl::StrCat("schedule name is ", name.size(),
                                                   " characters; the limit is ", kScheduleNameMax));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("schedule name \"", std::string(name),
                       "\" may hold only letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTemplate(const wire::JobSpec& job, size_t payload_bytes_max) {
  if (job.task().empty()) {
    return absl::InvalidArgumentError("the schedule's job has no task name");
  }
  if (job.payload().size() > payload_bytes_max) {
    return absl::InvalidArgumentError(absl::StrCat("the schedule's job payload is ",
                                                   job.payload().size(), " bytes; the limit is ",
                                                   payload_bytes_max, " (--payload-max)"));
  }
  if (job.not_before_ms() != 0) {
    return absl::InvalidArgumentError(
        "the schedule's job sets not_before_ms; its firings say when it runs");
  }
  if (!job.idempotency_key().empty() || !job.submit_token().empty()) {
    return absl::InvalidArgumentError(
        "the schedule's job sets an idempotency key or submit token; the broker derives "
        "each firing's key from the schedule and the instant");
  }
  if (job.after_size() > 0) {
    return absl::InvalidArgumentError(
        "the schedule's job waits for parents (after); a firing makes a new job each time, "
        "so it cannot wait for fixed ones");
  }
  if (job.sentinel()) {
    return absl::InvalidArgumentError("the schedule's job asks for a sentinel");
  }
  if (std::string bad_times = CheckSpecTimes(job, /*now_ms=*/0); !bad_times.empty()) {
    return absl::InvalidArgumentError("the schedule's job: " + bad_times);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Schedule> TimingOf(const ::jobq::admin::ScheduleSpec& spec) {
  switch (spec.timing_case()) {
    case ::jobq::admin::ScheduleSpec::kCron: {
      absl::StatusOr<CronSpec> cron = ParseCron(spec.cron());
      if (!cron.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cron expression \"", spec.cron(), "\": ", cron.status().message()));
      }
      CronSchedule schedule{*cron, absl::UTCTimeZone()};
      if (!spec.time_zone().empty()) {
        absl::StatusOr<absl::TimeZone> zone = LoadScheduleTimeZone(spec.time_zone());
        if (!zone.ok()) {
          return zone.status();
        }
        schedule.time_zone = *zone;
      }
      return Schedule(schedule);
    }
    case ::jobq::admin::ScheduleSpec::kEveryMs:
      if (!spec.time_zone().empty()) {
        return absl::InvalidArgumentError(
            "a time zone goes with a cron expression; an interval (--every) counts from the "
            "unix epoch whatever the zone");
      }
      if (spec.every_ms() < kScheduleEveryMinMs || spec.every_ms() > kScheduleEveryMaxMs) {
        return absl::InvalidArgumentError(absl::StrCat(
            "interval (--every) ", FormatDurationMs(spec.every_ms()), " is out of range: ",
            FormatDurationMs(kScheduleEveryMinMs), " to ", FormatDurationMs(kScheduleEveryMaxMs)));
      }
      return Schedule(EverySchedule{spec.every_ms(), 0});
    case ::jobq::admin::ScheduleSpec::TIMING_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("a schedule needs a cron expression or an interval (--every)");
}

absl::StatusOr<Schedule> CheckScheduleSpec(const ::jobq::admin::ScheduleSpec& spec,
                                           size_t payload_bytes_max) {
  if (absl::Status name = CheckName(spec.name()); !name.ok()) {
    return name;
  }
  absl::StatusOr<Schedule> timing = TimingOf(spec);
  if (!timing.ok()) {
    return timing.status();
  }
  if (!NextFiring(*timing, 0).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cron expression \"", spec.cron(), "\" never fires (a day no month has?)"));
  }
  if (absl::Status job = CheckTemplate(spec.job(), payload_bytes_max); !job.ok()) {
    return job;
  }
  return timing;
}

std::string FiringKey(std::string_view name, TimeMs fire_ms) {
  return absl::StrCat(std::string(kReservedKeyPrefix), "schedule:", std::string(name), "@",
                      fire_ms);
}

std::string DescribeTiming(const ::jobq::admin::ScheduleSpec& spec) {
  if (spec.timing_case() == ::jobq::admin::ScheduleSpec::kEveryMs) {
    return "every " + FormatDurationMs(spec.every_ms());
  }
  return absl::StrCat("cron \"", spec.cron(), "\"",
                      spec.time_zone().empty() ? "" : " " + spec.time_zone());
}

}  // namespace jobq::broker::core
