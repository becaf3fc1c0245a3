#include "worker/conn/in_flight_jobs.h"

namespace jobq::worker {

bool InFlightJobs::Add(Key key, TaskKind pool, std::shared_ptr<CancellationToken> cancel) {
  return jobs_.try_emplace(std::move(key), Job{pool, std::move(cancel)}).second;
}

std::optional<TaskKind> InFlightJobs::Finish(const Key& key) {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) {
    return std::nullopt;
  }
  TaskKind pool = it->second.pool;
  jobs_.erase(it);
  return pool;
}

size_t InFlightJobs::Cancel(const std::string& id) {
  size_t cancelled = 0;
  // Keys order by id first, so all attempts of one id are adjacent.
  for (auto it = jobs_.lower_bound(Key{id, 0}); it != jobs_.end() && it->first.id == id; ++it) {
    it->second.cancel->Cancel();
    ++cancelled;
  }
  return cancelled;
}

void InFlightJobs::CancelAll() {
  for (auto& [key, job] : jobs_) {
    job.cancel->Cancel();
  }
}

std::vector<InFlightJobs::Key> InFlightJobs::Keys() const {
  std::vector<Key> keys;
  keys.reserve(jobs_.size());
  for (const auto& [key, job] : jobs_) {
    keys.push_back(key);
  }
  return keys;
}

std::optional<TaskKind> InFlightJobs::PoolOf(const Key& key) const {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) {
    return std::nullopt;
  }
  return it->second.pool;
}

uint32_t InFlightJobs::CountFor(TaskKind pool) const {
  uint32_t count = 0;
  for (const auto& [key, job] : jobs_) {
    count += job.pool == pool ? 1 : 0;
  }
  return count;
}

}  // namespace jobq::worker
