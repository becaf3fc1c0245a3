#include "broker/store/memory_store.h"

namespace jobq::broker::store {

absl::Status MemoryStore::Commit(const std::vector<const core::Job*>& changed,
                                 const std::vector<JobId>& erased) {
  for (const core::Job* job : changed) {
    core::Job& copy = jobs_[job->id];
    copy = *job;
    // Watchers are connections of this broker life; they do not survive it.
    copy.watchers.clear();
  }
  for (const JobId& id : erased) {
    jobs_.erase(id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<core::Job>> MemoryStore::Recover() {
  std::vector<core::Job> jobs;
  jobs.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) {
    jobs.push_back(job);
  }
  return jobs;
}

}  // namespace jobq::broker::store
