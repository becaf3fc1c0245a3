#pragma once
// MemoryStore: a Store kept in the process's memory, for tests that restart
// a core inside one process (the simulation). A real implementation, not a
// mock: it keeps what was committed and gives it back in Recover, so the
// core's restart logic can be exercised. Not durable: everything is gone
// with the process. The broker's `--store memory` is VolatileStore
// (volatile_store.h), which keeps nothing.
// Not thread-safe.

#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "broker/store/store.h"

namespace jobq::broker::store {

class MemoryStore final : public Store {
 public:
  std::string Describe() const override { return "memory"; }
  bool durable() const override { return false; }
  absl::Status Commit(const CommitBatch& batch) override;
  absl::StatusOr<Recovered> Recover() override;

  size_t size() const { return jobs_.size(); }
  size_t sentinel_count() const { return sentinels_.size(); }

 private:
  std::unordered_map<JobId, core::Job> jobs_;
  std::map<JobId, std::string> sentinels_;  // id -> queue
  std::map<std::string, ScheduleRecord> schedules_;
  std::map<std::pair<std::string, std::string>, core::LimitRecord> limits_;  // (queue, task)
  std::map<JobId, WorkflowRecord> workflows_;
};

}  // namespace jobq::broker::store
