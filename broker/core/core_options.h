#pragma once
// Tunables of BrokerCore. Every collection the core keeps has a bound here
// (TigerStyle: put a limit on everything), answered with a clear error when hit.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"

namespace jobq::broker::core {

// Defaults for the jobs of one queue that do not set their own (0 = unset:
// the broker-wide default applies).
struct QueueDefaults {
  uint32_t max_attempts = 0;
  TimeMs backoff_ms = 0;
};

struct CoreOptions {
  uint32_t heartbeat_interval_ms = 1000;
  // A worker silent for this many intervals is dead and its jobs are requeued.
  uint32_t liveness_misses = 3;
  // Jobs waiting (queued or scheduled) per queue; more is answered "queue_full".
  size_t queue_depth_max = 5'000'000;
  // Jobs kept in any state, finished ones (results) included; more is
  // answered "queue_full". The per-queue bound alone would let a producer
  // grow the broker without limit by naming new queues or by keeping
  // results: this is the bound on the broker's memory.
  size_t jobs_max = 10'000'000;
  // Distinct queue names; a job for a new queue beyond it is answered
  // "queue_full".
  size_t queues_max = 10'000;
  // Registered workers; a HELLO beyond is answered with an ERROR.
  size_t workers_max = 10'000;
  size_t payload_bytes_max = 1 << 20;
  // A larger result fails its job ("result_too_large") instead of being
  // kept for --result-ttl. Workers learn it from WELCOME.
  size_t result_bytes_max = 16 << 20;
  size_t jobs_per_submit_max = 10'000;
  // Nodes in one SUBMIT_WORKFLOW (--workflow-max); a larger one is refused
  // whole, naming the bound.
  size_t workflow_nodes_max = 100'000;
  // A job whose lease ran out this many times on live workers is dead
  // (`worker_lost`).
  uint32_t lost_leases_max = 5;
  // A job whose workers' processes ended this many times while running it
  // is dead (`poison`).
  uint32_t poison_after = 2;
  TimeMs result_ttl_ms = 24 * 3600 * 1000;
  // Dead jobs wait this long for `jobq retry` before they are forgotten.
  TimeMs dead_ttl_ms = 7 * 24 * 3600 * 1000;
  // Attempts and first retry delay of a job that sets neither, unless its
  // queue has its own defaults.
  uint32_t max_attempts = 1;
  TimeMs backoff_ms = 1000;
  TimeMs backoff_max_ms = 3600 * 1000;  // a retry never waits longer than this
  std::map<std::string, QueueDefaults> queue_defaults;
  // Added to a job's timeout for its lease, and to the liveness window for
  // jobs without one: time for a worker's report to arrive.
  TimeMs lease_grace_ms = 5000;
  uint64_t seed = 1;  // job ids; the simulation replays a run from it
};

}  // namespace jobq::broker::core
