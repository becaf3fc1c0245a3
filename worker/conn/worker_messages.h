#pragma once
// Builds the protobuf bodies the worker sends that describe itself: HELLO
// (who it is, what it can run, what it holds) and HEARTBEAT (its load).
// Pure functions of their arguments; thread-compatible.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "jobq/wire.pb.h"
#include "worker/conn/in_flight_jobs.h"
#include "worker/conn/process_stats.h"
#include "worker/pools/job_pool.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

struct WorkerIdentity {
  std::string name;  // unique among the broker's workers, e.g. "host-1234"
  std::string host;
  int32_t pid = 0;
};

wire::Kind ToWireKind(TaskKind kind);
// nullopt for KIND_UNSPECIFIED or a value this build does not know.
std::optional<TaskKind> FromWireKind(wire::Kind kind);

// A finished job whose RESULT the broker has not been sent yet, and the pool
// whose slot it used.
struct UnsentResult {
  wire::JobResult result;
  TaskKind pool;
};

// `pools` must not be null. HELLO lists as held both the jobs still running
// and those finished but not yet reported: the broker keeps their leases
// (so the late RESULT counts) and deducts them from the starting credit; the
// worker credits the finished ones back right after their RESULT.
wire::Hello BuildHello(const WorkerIdentity& identity, const std::vector<JobPool*>& pools,
                       const std::set<std::string>& queues, const TaskRegistry& registry,
                       const InFlightJobs& running, const std::vector<UnsentResult>& unsent);

struct JobCounters {
  uint64_t done = 0;     // finished ok
  uint64_t failed = 0;   // finished with an error
  uint64_t refused = 0;  // refused for want of room; the broker requeues them
};

wire::Heartbeat BuildHeartbeat(const std::vector<JobPool*>& pools, const InFlightJobs& in_flight,
                               const JobCounters& counters, const ProcessStats::Sample& stats);

}  // namespace jobq::worker
