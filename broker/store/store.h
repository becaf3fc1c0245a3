#pragma once
// Store: where the broker keeps jobs so that an acknowledged job survives
// what the broker process does not. The loop calls Commit once per
// iteration with everything that iteration changed (group commit) and sends
// acknowledgements only after it returned OK.
//
// Implementations: SqliteStore (the default, durable), PostgresStore
// (--store postgres://..., shared by several brokers), VolatileStore
// (--store memory: fastest, lost with the process) and MemoryStore (tests).
// Not thread-safe: one thread at a time uses a Store. With a durable store
// that is the StoreWriter thread (broker/net/store_writer.h) for Commit,
// while the loop thread waits for nothing; Recover runs before either.
// Health and Cancel are the exceptions: any thread may call them.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "common/job_id.h"
#include "jobq/store.pb.h"

namespace jobq::broker::store {

// The generated message lives in jobq::store (package jobq.store).
using ScheduleRecord = ::jobq::store::ScheduleRecord;
using WorkflowRecord = ::jobq::store::WorkflowRecord;

// What one loop iteration changed. Sentinels are applied added, then
// removed: one may be added and fired in the same iteration.
struct CommitBatch {
  std::span<const core::Job* const> changed = {};  // write their current state
  std::span<const JobId> erased = {};
  std::span<const core::SentinelMark> sentinels_added = {};
  std::span<const JobId> sentinels_removed = {};
  // Schedules are applied erased, then changed: one may be removed and
  // added again under its name in the same iteration.
  std::span<const ScheduleRecord> schedules_changed = {};
  std::span<const std::string> schedules_erased = {};
  // Limits set or cleared (LimitRecord::cleared), in order: the last one of
  // a (queue, task) is what the store keeps.
  std::span<const core::LimitRecord> limits = {};
  // Workflows are applied erased, then changed. Their nodes are jobs
  // (changed, erased above) in the same batch.
  std::span<const WorkflowRecord> workflows_changed = {};
  std::span<const JobId> workflows_erased = {};

  bool empty() const {
    return changed.empty() && erased.empty() && sentinels_added.empty() &&
           sentinels_removed.empty() && schedules_changed.empty() && schedules_erased.empty() &&
           limits.empty() && workflows_changed.empty() && workflows_erased.empty();
  }
};

// Whether the store answers, for status output. A store on this machine
// (SQLite) always does; one across a network (PostgreSQL) may not for a
// while, during which Commit waits and retries.
struct StoreHealth {
  bool reachable = true;
  std::string last_error;                 // why not, while unreachable
  int64_t unreachable_since_unix_ms = 0;  // 0 while reachable
  int retries = 0;                        // failed attempts since then
};

struct Recovered {
  std::vector<core::Job> jobs;                // in no particular order
  std::vector<core::SentinelMark> sentinels;  // not fired yet, in no particular order
  std::vector<ScheduleRecord> schedules;      // in no particular order
  std::vector<core::LimitRecord> limits;      // each valid (CheckLimit), by queue and task
  std::vector<WorkflowRecord> workflows;      // in no particular order
};

class Store {
 public:
  virtual ~Store() = default;

  // For status output: "memory", "sqlite:/var/lib/jobq/jobq.db".
  virtual std::string Describe() const = 0;
  // Whether a committed job survives a crash of the broker process.
  virtual bool durable() const = 0;
  // False for a store whose Commit has nothing to do, so that the loop need
  // not gather what changed.
  virtual bool keeps_jobs() const { return true; }

  // Applies `batch`, all or nothing. The pointers need only live for the call.
  [[nodiscard]] virtual absl::Status Commit(const CommitBatch& batch) = 0;

  // Everything committed and not erased.
  [[nodiscard]] virtual absl::StatusOr<Recovered> Recover() = 0;

  // Any thread. What a Commit that is waiting for the store has met.
  virtual StoreHealth Health() const { return {}; }
  // Any thread. A Commit that waits for an unreachable store gives up (and
  // every later one does at its first failure), for a broker that stops.
  virtual void Cancel() {}
};

}  // namespace jobq::broker::store
