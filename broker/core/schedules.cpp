// BrokerCore: schedules. Each is a record (the spec and its cursor: every
// firing instant up to the cursor is handled) and a timer at its next
// firing. A firing makes an ordinary job whose idempotency key is derived
// from the schedule and the instant, and moves the cursor, in the same
// commit; so after any crash the store has both or neither, and a firing
// seen again finds its job by the key (DESIGN §12).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/core/broker_core.h"
#include "broker/core/core_helpers.h"
#include "broker/core/schedule_firings.h"
#include "broker/core/spec_limits.h"
#include "common/check.h"
#include "common/job_state.h"

namespace jobq::broker::core {
namespace {

bool Live(wire::JobState state) {
  return state == wire::JOB_STATE_QUEUED || state == wire::JOB_STATE_SCHEDULED ||
         state == wire::JOB_STATE_RUNNING;
}

absl::Status UnknownSchedule(const std::string& name) {
  return absl::NotFoundError("no schedule named \"" + name + "\" (jobq schedule list shows them)");
}

}  // namespace

absl::StatusOr<::jobq::admin::ScheduleInfo> BrokerCore::AddSchedule(
    const ::jobq::admin::ScheduleSpec& spec, TimeMs now_ms, Effects* effects) {
  absl::StatusOr<::jobq::Schedule> timing = CheckScheduleSpec(spec, options_.payload_bytes_max);
  if (!timing.ok()) {
    return timing.status();
  }
  if (schedules_.count(spec.name()) != 0) {
    return absl::AlreadyExistsError("a schedule named \"" + spec.name() +
                                    "\" exists; remove it first (jobq schedule remove " +
                                    spec.name() + ") or choose another name");
  }
  if (schedules_.size() >= kSchedulesMax) {
    return absl::ResourceExhaustedError(absl::StrCat("the broker keeps ", schedules_.size(),
                                                     " schedules, its limit; remove one first"));
  }
  ScheduleEntry& entry = schedules_[spec.name()];
  entry.record.mutable_spec()->CopyFrom(spec);
  entry.record.set_created_ms(now_ms);
  // Firings start after the moment it was added.
  entry.record.set_cursor_ms(now_ms);
  entry.timing = *std::move(timing);
  ArmSchedule(entry);
  effects->ScheduleChanged(spec.name());
  return InfoOf(entry, 0);
}

absl::Status BrokerCore::RemoveSchedule(const std::string& name, Effects* effects) {
  if (schedules_.erase(name) == 0) {
    return UnknownSchedule(name);
  }
  effects->ScheduleErased(name);
  return absl::OkStatus();
}

absl::StatusOr<::jobq::admin::ScheduleInfo> BrokerCore::PauseSchedule(const std::string& name,
                                                                      bool pause, TimeMs now_ms,
                                                                      Effects* effects) {
  auto it = schedules_.find(name);
  if (it == schedules_.end()) {
    return UnknownSchedule(name);
  }
  ScheduleEntry& entry = it->second;
  if (entry.record.paused() == pause) {
    return absl::FailedPreconditionError("schedule \"" + name + "\" is " +
                                         (pause ? "paused already" : "not paused"));
  }
  entry.record.set_paused(pause);
  if (!pause) {
    // The instants it was paused over are not caught up: it fires from now.
    entry.record.set_cursor_ms(std::max(entry.record.cursor_ms(), now_ms));
  }
  ArmSchedule(entry);
  effects->ScheduleChanged(name);
  return InfoOf(entry, 0);
}

absl::StatusOr<JobId> BrokerCore::RunSchedule(const std::string& name, TimeMs now_ms,
                                              Effects* effects) {
  auto it = schedules_.find(name);
  if (it == schedules_.end()) {
    return UnknownSchedule(name);
  }
  if (shutting_down_) {
    return absl::UnavailableError(
        "the broker is shutting down and takes no jobs; run it once the broker is back");
  }
  ScheduleEntry& entry = it->second;
  if (std::string full = RoomForScheduledJob(entry.record.spec().job()); !full.empty()) {
    return absl::ResourceExhaustedError(std::move(full));
  }
  Job& job = AddJob(entry.record.spec().job(), now_ms, effects);
  entry.record.set_last_job_id(std::string(job.id.Bytes()));
  entry.record.set_fired(entry.record.fired() + 1);
  effects->ScheduleChanged(name);
  return job.id;
}

absl::StatusOr<::jobq::admin::ScheduleInfo> BrokerCore::GetSchedule(const std::string& name,
                                                                    size_t next_count) const {
  auto it = schedules_.find(name);
  if (it == schedules_.end()) {
    return UnknownSchedule(name);
  }
  return InfoOf(it->second, next_count);
}

void BrokerCore::FillSchedules(
    size_t max, google::protobuf::RepeatedPtrField<::jobq::admin::ScheduleInfo>* out) const {
  for (const auto& [name, entry] : schedules_) {
    if (static_cast<size_t>(out->size()) >= max) {
      break;
    }
    *out->Add() = InfoOf(entry, 0);
  }
}

const ::jobq::store::ScheduleRecord* BrokerCore::FindScheduleRecord(const std::string& name) const {
  auto it = schedules_.find(name);
  return it == schedules_.end() ? nullptr : &it->second.record;
}

void BrokerCore::RestoreSchedules(std::vector<::jobq::store::ScheduleRecord> records,
                                  TimeMs now_ms) {
  restored_ms_ = now_ms;
  for (::jobq::store::ScheduleRecord& record : records) {
    const std::string name = record.spec().name();
    ScheduleEntry& entry = schedules_[name];
    entry.record = std::move(record);
    // What AddSchedule refuses in a template, a record written before the
    // bounds (or damaged) must not carry into every job it makes.
    wire::JobSpec& job = *entry.record.mutable_spec()->mutable_job();
    ClampSpecTimes(&job);
    job.set_not_before_ms(0);
    job.clear_idempotency_key();
    job.clear_submit_token();
    // Parents named in a template would block every firing's job on ids
    // that are no job's (fuzz_schedule found the core's queue invariant
    // broken by one).
    job.clear_after();
    job.set_sentinel(false);
    entry.record.set_created_ms(ClampStoredTime(entry.record.created_ms()));
    entry.record.set_cursor_ms(ClampStoredTime(entry.record.cursor_ms()));
    entry.record.set_last_fire_ms(
        std::min(ClampStoredTime(entry.record.last_fire_ms()), entry.record.cursor_ms()));
    absl::StatusOr<::jobq::Schedule> timing = TimingOf(entry.record.spec());
    if (timing.ok()) {
      entry.timing = *std::move(timing);
    } else {
      // Kept, so that a restart loses no schedule, and shown as broken.
      entry.broken = std::string(timing.status().message());
    }
    ArmSchedule(entry);
  }
}

void BrokerCore::ArmSchedule(ScheduleEntry& entry) {
  entry.next_fire_ms = 0;
  if (entry.record.paused() || !entry.timing) {
    return;
  }
  if (std::optional<TimeMs> next = NextFiring(*entry.timing, entry.record.cursor_ms())) {
    entry.next_fire_ms = *next;
    schedule_timers_.push({*next, entry.record.spec().name()});
  }
}

void BrokerCore::FireDueSchedules(TimeMs now_ms, Effects* effects) {
  while (!schedule_timers_.empty() && schedule_timers_.top().due_ms <= now_ms) {
    const ScheduleTimer timer = schedule_timers_.top();
    schedule_timers_.pop();
    auto it = schedules_.find(timer.name);
    // Skips entries made stale by a removal, a pause or a later arming.
    if (it == schedules_.end() || it->second.next_fire_ms != timer.due_ms) {
      continue;
    }
    if (shutting_down_) {
      // No new jobs now; the restarted broker catches these up.
      it->second.next_fire_ms = 0;
      continue;
    }
    FireSchedule(it->second, now_ms, effects);
  }
}

void BrokerCore::FireSchedule(ScheduleEntry& entry, TimeMs now_ms, Effects* effects) {
  ::jobq::store::ScheduleRecord& record = entry.record;
  const FiringPlan plan = PlanFirings(*entry.timing, record.spec().catch_up(), record.cursor_ms(),
                                      now_ms, std::max(restored_ms_, now_ms - kLateFiringGraceMs));
  if (plan.skipped > 0) {
    record.set_skipped(record.skipped() + plan.skipped);
    record.set_last_skip(absl::StrCat(plan.skipped,
                                      " firing(s) passed while the broker was down or its clock "
                                      "jumped; --catch-up made no job for them"));
  }
  for (TimeMs fire_ms : plan.fire) {
    FireOnce(entry, fire_ms, now_ms, effects);
  }
  record.set_cursor_ms(plan.cursor_ms);
  ArmSchedule(entry);
  effects->ScheduleChanged(record.spec().name());
}

void BrokerCore::FireOnce(ScheduleEntry& entry, TimeMs fire_ms, TimeMs now_ms, Effects* effects) {
  ::jobq::store::ScheduleRecord& record = entry.record;
  auto skip = [&](std::string why) {
    record.set_skipped(record.skipped() + 1);
    record.set_last_skip(std::move(why));
  };
  if (record.spec().overlap() == ::jobq::admin::ScheduleSpec::OVERLAP_SKIP &&
      !record.last_job_id().empty()) {
    std::optional<JobId> last = JobId::FromBytes(record.last_job_id());
    const Job* job = last ? FindJob(*last) : nullptr;
    if (job != nullptr && Live(job->state)) {
      return skip("--overlap skip: job " + job->id.ToString() + " of the last firing is still " +
                  std::string(JobStateName(job->state)));
    }
  }
  wire::JobSpec spec = record.spec().job();
  spec.set_idempotency_key(FiringKey(record.spec().name(), fire_ms));
  if (const Job* made = FindDuplicate(spec)) {
    // Made before a crash that the store kept it through: the same firing.
    record.set_last_fire_ms(fire_ms);
    record.set_last_job_id(std::string(made->id.Bytes()));
    return;
  }
  if (std::string full = RoomForScheduledJob(spec); !full.empty()) {
    ++counters_.rejected;
    return skip(std::move(full));
  }
  Job& job = AddJob(std::move(spec), now_ms, effects);
  record.set_last_fire_ms(fire_ms);
  record.set_last_job_id(std::string(job.id.Bytes()));
  record.set_fired(record.fired() + 1);
}

std::string BrokerCore::RoomForScheduledJob(const wire::JobSpec& job) const {
  const std::string& queue = job.queue().empty() ? kDefaultQueue : job.queue();
  if (std::string full = JobRoomFor(queue); !full.empty()) {
    return full;
  }
  return WaitingRoomFor(queue);
}

admin::ScheduleInfo BrokerCore::InfoOf(const ScheduleEntry& entry, size_t next_count) const {
  const ::jobq::store::ScheduleRecord& record = entry.record;
  ::jobq::admin::ScheduleInfo info;
  *info.mutable_spec() = record.spec();
  info.set_paused(record.paused());
  info.set_created_ms(record.created_ms());
  info.set_next_fire_ms(entry.next_fire_ms);
  if (next_count > 0 && entry.timing && !record.paused()) {
    for (TimeMs at : NextFirings(*entry.timing, record.cursor_ms(), next_count)) {
      info.add_next_fires_ms(at);
    }
  }
  info.set_last_fire_ms(record.last_fire_ms());
  info.set_last_job_id(record.last_job_id());
  if (std::optional<JobId> last = JobId::FromBytes(record.last_job_id())) {
    if (const Job* job = FindJob(*last)) {
      info.set_last_job_state(job->state);
    }
  }
  info.set_fired(record.fired());
  info.set_skipped(record.skipped());
  info.set_last_skip(record.last_skip());
  info.set_broken(entry.broken);
  return info;
}

}  // namespace jobq::broker::core
