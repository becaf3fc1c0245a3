#pragma once
// WorkerInfo: what the broker knows of one connected worker. Owned by
// BrokerCore; not thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// Pools are indexed by wire::Kind (KIND_IO = 1, KIND_CPU = 2); slot 0 unused.
inline constexpr size_t kPoolSlots = 3;

struct WorkerInfo {
  std::string routing_id;
  std::string name;
  std::string host;
  int32_t pid = 0;
  // Queues it still takes jobs from; a sentinel removes one.
  std::vector<std::string> queues;
  std::unordered_map<std::string, wire::Kind> task_kinds;
  std::array<uint32_t, kPoolSlots> capacity{};
  std::array<uint32_t, kPoolSlots> credit{};
  std::unordered_set<JobId> leased;
  TimeMs registered_ms = 0;
  TimeMs last_seen_ms = 0;
  wire::Heartbeat last_heartbeat;
  uint64_t jobs_done = 0;
  uint64_t jobs_failed = 0;

  bool draining() const { return queues.empty(); }
  uint32_t total_credit() const { return credit[wire::KIND_IO] + credit[wire::KIND_CPU]; }
  bool Serves(const std::string& queue) const;
  // The pool a job runs in here: the job's own kind when given, else what
  // the worker registered for the task, else io; the other pool when this
  // worker lacks that one.
  wire::Kind PoolFor(const wire::JobSpec& spec) const;
};

inline bool WorkerInfo::Serves(const std::string& queue) const {
  for (const std::string& served : queues) {
    if (served == queue) return true;
  }
  return false;
}

inline wire::Kind WorkerInfo::PoolFor(const wire::JobSpec& spec) const {
  wire::Kind kind = wire::KIND_IO;
  if (spec.kind() == wire::KIND_IO || spec.kind() == wire::KIND_CPU) {
    kind = spec.kind();
  } else if (auto it = task_kinds.find(spec.task());
             it != task_kinds.end() && it->second == wire::KIND_CPU) {
    kind = wire::KIND_CPU;
  }
  // A worker without that pool runs the job in the pool it has rather than
  // never: the job would otherwise wait for a worker that may never come.
  if (capacity[kind] == 0) {
    kind = kind == wire::KIND_IO ? wire::KIND_CPU : wire::KIND_IO;
  }
  return kind;
}

}  // namespace jobq::broker::core
