#pragma once
// ProcessStats: the worker's own CPU use and resident memory, read from
// /proc/self/stat and /proc/self/statm, for HEARTBEAT (and so for
// `jobq workers`). CPU percent is over the interval since the previous
// Take(), summed over threads, so it can exceed 100 on several cores.
//
// Not thread-safe; the connection thread owns one.

#include <chrono>
#include <cstdint>
#include <optional>

namespace jobq::worker {

class ProcessStats {
 public:
  struct Sample {
    double cpu_percent = 0;  // 0 on the first call
    uint64_t rss_bytes = 0;
  };

  // Both values are 0 when /proc cannot be read (not Linux, no procfs);
  // statistics are never worth failing for.
  Sample Take(std::chrono::steady_clock::time_point now);

 private:
  struct CpuReading {
    std::chrono::steady_clock::time_point at;
    double cpu_seconds;
  };
  std::optional<CpuReading> previous_;
};

}  // namespace jobq::worker
