#pragma once
// WorkerInfo: what the broker knows of one connected worker. Owned by
// BrokerCore; not thread-safe.

#include <algorithm>
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
  // The process (wire Hello.instance; 0 when the worker sent none) and its
  // registration number: a DISPATCH carries the number, so the worker runs
  // only jobs leased under its latest HELLO.
  uint64_t instance = 0;
  uint64_t registration = 0;
  // Credit, per pool, kept exact across reconnects (docs/protocol.md,
  // "Credit"): under this registration at most capacity - listed_at_hello +
  // freed_total jobs may be dispatched; `credit` is what is left of that.
  std::array<uint32_t, kPoolSlots> capacity{};
  std::array<uint32_t, kPoolSlots> listed_at_hello{};
  std::array<uint64_t, kPoolSlots> freed_total{};
  std::array<uint64_t, kPoolSlots> dispatched{};
  std::array<uint32_t, kPoolSlots> credit{};
  std::unordered_set<JobId> leased;
  TimeMs registered_ms = 0;
  TimeMs last_seen_ms = 0;
  wire::Heartbeat last_heartbeat;
  uint64_t jobs_done = 0;
  uint64_t jobs_failed = 0;

  bool draining() const { return queues.empty(); }
  // Sets credit[pool] from the registration's figures. Never above the
  // pool's capacity: a worker that claims to have freed more than it held
  // cannot make the broker flood it.
  void UpdateCredit(wire::Kind pool);
  uint32_t total_credit() const { return credit[wire::KIND_IO] + credit[wire::KIND_CPU]; }
  bool Serves(const std::string& queue) const;
  // The pool a job runs in here: the job's own kind when given, else what
  // the worker registered for the task, else io; the other pool when this
  // worker lacks that one.
  wire::Kind PoolFor(const wire::JobSpec& spec) const;
};

inline void WorkerInfo::UpdateCredit(wire::Kind pool) {
  const int64_t granted =
      int64_t{capacity[pool]} - listed_at_hello[pool] + static_cast<int64_t>(freed_total[pool]);
  const int64_t left = granted - static_cast<int64_t>(dispatched[pool]);
  credit[pool] = static_cast<uint32_t>(std::clamp<int64_t>(left, 0, capacity[pool]));
}

inline bool WorkerInfo::Serves(const std::string& queue) const {
  for (const std::string& served : queues) {
    if (served == queue) {
      return true;
    }
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
