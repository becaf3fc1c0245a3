#pragma once
// ProcessStats: the CPU use and resident memory of the worker and its child
// processes (the CPU pool's), read from /proc, for HEARTBEAT (and so for
// `jobq workers` and `jobq status`). CPU percent is over the interval since
// the previous Take(), summed over threads and processes, so it can exceed
// 100 on several cores.
//
// Not thread-safe; the connection thread owns one.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace jobq::worker {

class ProcessStats {
 public:
  struct Sample {
    double cpu_percent = 0;  // 0 on the first call
    uint64_t rss_bytes = 0;
  };

  // `child_pids`, when set, lists the worker's live children at each
  // Take(); it is called on the taking thread.
  explicit ProcessStats(std::function<std::vector<pid_t>()> child_pids = {})
      : child_pids_(std::move(child_pids)) {}

  // Both values are 0 when /proc cannot be read (not Linux, no procfs);
  // statistics are never worth failing for. A child that ends between
  // samples still counts: its time moves into the worker's own
  // reaped-children time.
  Sample Take(std::chrono::steady_clock::time_point now);

 private:
  struct CpuReading {
    std::chrono::steady_clock::time_point at;
    double cpu_seconds;
  };
  std::function<std::vector<pid_t>()> child_pids_;
  std::optional<CpuReading> previous_;
};

}  // namespace jobq::worker
