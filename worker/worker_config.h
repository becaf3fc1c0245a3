#pragma once
// WorkerConfig: everything jobq-worker is told on its command line
// (DESIGN §10a), already checked. Plain data; thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/curve_keys.h"
#include "common/log.h"
#include "worker/tasks/builtins/exec_task.h"

namespace jobq::worker {

inline constexpr char kDefaultBrokerEndpoint[] = "tcp://127.0.0.1:5556";
// A limit on --io-threads: beyond this, threads cost more than they wait.
inline constexpr uint32_t kMaxIoThreads = 1024;
// A limit on --cpu-procs: far more processes than any machine has cores.
inline constexpr uint32_t kMaxCpuProcs = 1024;

// A limit on --prefetch: a worker holding more only starves the others.
inline constexpr uint32_t kMaxPrefetch = 100'000;

struct WorkerConfig {
  std::string broker = kDefaultBrokerEndpoint;    // the broker's backend endpoint
  std::vector<std::string> queues = {"default"};  // non-empty, no duplicates
  uint32_t io_threads = 2;                        // 1..kMaxIoThreads
  // Children of the CPU pool, 0..kMaxCpuProcs; 0 = no CPU pool, CPU jobs
  // run on the I/O pool.
  uint32_t cpu_procs = 1;
  // Jobs each pool holds beyond one per thread or child (--prefetch).
  uint32_t prefetch = 0;                 // 0..kMaxPrefetch
  uint32_t drain_grace_ms = 30'000;      // how long the first SIGTERM's drain may take
  uint32_t max_jobs_per_child = 0;       // recycle a child after this many jobs; 0 = never
  uint64_t max_rss_per_child_bytes = 0;  // recycle a child above this RSS; 0 = never
  // exec keeps this much of each of stdout and stderr, 1..kExecOutputMaxBytesLimit.
  uint64_t exec_output_max_bytes = kExecOutputMaxBytes;
  // Task plugins (shared libraries), loaded in order by the worker and by
  // each child; none may be empty.
  std::vector<std::string> plugins;
  std::string name;  // unique per broker
  // CURVE: the broker's public key (--broker-key) and this worker's pair
  // (--curve-key), read from their files; unset for plaintext.
  std::optional<curve::ClientKeys> curve;
  LogLevel log_level = LogLevel::kInfo;
};

// The reference's rule for I/O-bound pools: 2 × cores (2 when the core
// count is unknown).
uint32_t DefaultIoThreads();

// The reference's rule for CPU-bound pools: one process per core (1 when
// the core count is unknown).
uint32_t DefaultCpuProcs();

// gethostname(), or "localhost" when it fails.
std::string LocalHostName();

// "<hostname>-<pid>": unique on a host, readable in `jobq workers`.
std::string DefaultWorkerName();

}  // namespace jobq::worker
