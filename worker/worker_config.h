#pragma once
// WorkerConfig: everything jobq-worker is told on its command line
// (DESIGN §10a), already checked. Plain data; thread-compatible.

#include <cstdint>
#include <string>
#include <vector>

#include "common/log.h"

namespace jobq::worker {

inline constexpr char kDefaultBrokerEndpoint[] = "tcp://127.0.0.1:5556";
// A limit on --io-threads: beyond this, threads cost more than they wait.
inline constexpr uint32_t kMaxIoThreads = 1024;

struct WorkerConfig {
  std::string broker = kDefaultBrokerEndpoint;    // the broker's backend endpoint
  std::vector<std::string> queues = {"default"};  // non-empty, no duplicates
  uint32_t io_threads = 2;                        // 1..kMaxIoThreads
  std::string name;                               // unique per broker
  LogLevel log_level = LogLevel::kInfo;
};

// The reference's rule for I/O-bound pools: 2 × cores (2 when the core
// count is unknown).
uint32_t DefaultIoThreads();

// gethostname(), or "localhost" when it fails.
std::string LocalHostName();

// "<hostname>-<pid>": unique on a host, readable in `jobq workers`.
std::string DefaultWorkerName();

}  // namespace jobq::worker
