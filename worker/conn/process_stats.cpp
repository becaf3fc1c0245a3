#include "worker/conn/process_stats.h"

#include <algorithm>

#include "worker/child/proc_stat.h"

namespace jobq::worker {

ProcessStats::Sample ProcessStats::Take(std::chrono::steady_clock::time_point now) {
  Sample sample;
  sample.rss_bytes = child::ReadRssBytes(0).value_or(0);
  // The worker's own reading comes first: a child reaped after it and
  // before its own reading is missed once (never counted twice).
  std::optional<child::CpuTimes> own = child::ReadCpuTimes(0);
  if (!own.has_value()) {
    return sample;
  }
  // Children the worker has reaped (CPU-pool children, `exec` commands)
  // count through cutime/cstime; live children through their own entries.
  double cpu_seconds = own->own_seconds + own->reaped_seconds;
  if (child_pids_) {
    for (pid_t pid : child_pids_()) {
      if (std::optional<child::CpuTimes> times = child::ReadCpuTimes(pid)) {
        cpu_seconds += times->own_seconds;
      }
      sample.rss_bytes += child::ReadRssBytes(pid).value_or(0);
    }
  }
  if (previous_.has_value()) {
    const double wall_seconds = std::chrono::duration<double>(now - previous_->at).count();
    if (wall_seconds > 0) {
      // A live child reaped between its reading and the worker's next one
      // can make the total dip; a dip is no negative load.
      sample.cpu_percent =
          std::max(0.0, 100.0 * (cpu_seconds - previous_->cpu_seconds) / wall_seconds);
    }
  }
  previous_ = CpuReading{now, cpu_seconds};
  return sample;
}

}  // namespace jobq::worker
