#include "broker/store/memory_store.h"

namespace jobq::broker::store {

absl::Status MemoryStore::Commit(const CommitBatch& batch) {
  for (const core::Job* job : batch.changed) {
    core::Job& copy = jobs_[job->id];
    copy = *job;
    // Watchers are connections of this broker life; they do not survive it.
    copy.watchers.clear();
  }
  for (const JobId& id : batch.erased) {
    jobs_.erase(id);
  }
  for (const core::SentinelMark& sentinel : batch.sentinels_added) {
    sentinels_[sentinel.id] = sentinel.queue;
  }
  for (const JobId& id : batch.sentinels_removed) {
    sentinels_.erase(id);
  }
  for (const std::string& name : batch.schedules_erased) {
    schedules_.erase(name);
  }
  for (const ScheduleRecord& schedule : batch.schedules_changed) {
    schedules_[schedule.spec().name()] = schedule;
  }
  for (const JobId& id : batch.workflows_erased) {
    workflows_.erase(id);
  }
  for (const WorkflowRecord& workflow : batch.workflows_changed) {
    workflows_[*JobId::FromBytes(workflow.id())] = workflow;
  }
  for (const core::LimitRecord& limit : batch.limits) {
    if (limit.cleared) {
      limits_.erase({limit.queue, limit.task});
    } else {
      limits_[{limit.queue, limit.task}] = limit;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Recovered> MemoryStore::Recover() {
  Recovered recovered;
  recovered.jobs.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) {
    recovered.jobs.push_back(job);
  }
  for (const auto& [id, queue] : sentinels_) {
    recovered.sentinels.push_back({id, queue});
  }
  for (const auto& [name, schedule] : schedules_) {
    recovered.schedules.push_back(schedule);
  }
  for (const auto& [id, workflow] : workflows_) {
    recovered.workflows.push_back(workflow);
  }
  for (const auto& [key, limit] : limits_) {
    recovered.limits.push_back(limit);
  }
  return recovered;
}

}  // namespace jobq::broker::store
