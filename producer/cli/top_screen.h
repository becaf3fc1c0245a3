#pragma once
// The screen of `jobq top`, as text: a header (broker, version, uptime,
// throughput), the queues (state, depth, running, workers, finished/s),
// the workers (state, in-flight/capacity, CPU %, RSS, done, failed,
// heartbeat), and a latency section. Rates are differences between two
// snapshots, so the first frame shows "-". Lines are cut to the width
// and the frame to the height (a "... N more" line says what was left
// out). Pure; thread-safe.
//
// Latency: TopLatencyRows() gives one row per task of the status's
// figures (queue wait and run time, p50/p90/p99); a broker without
// figures gets a line saying so.

#include <cstdint>
#include <string>
#include <vector>

#include "jobq/admin.pb.h"

namespace jobq::cli {

struct TopFrame {
  std::string address;                                 // the admin address shown in the header
  admin::GetStatusResponse status;                     // the latest snapshot
  const admin::GetStatusResponse* previous = nullptr;  // the one before; null at first
  int64_t elapsed_ms = 0;                              // between the two
  int64_t now_unix_ms = 0;                             // for the clock in the header
  size_t width = 80;
  size_t height = 24;
};

// Lines without line terminators.
std::vector<std::string> RenderTopLines(const TopFrame& frame);

// Rows (first the header row) of the latency table: TASK, RUNS, WAIT
// p50 / p90 / p99, RUN p50 / p90 / p99. Empty when the status carries no
// task figures.
std::vector<std::vector<std::string>> TopLatencyRows(const admin::GetStatusResponse& status);

// "12.5/s"; "-" without a previous snapshot or elapsed time.
std::string FormatRate(uint64_t now_count, uint64_t before_count, int64_t elapsed_ms,
                       bool have_before);

}  // namespace jobq::cli
