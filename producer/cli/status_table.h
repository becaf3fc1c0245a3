#pragma once
// The human-readable form of the broker's GetStatus answer, as printed by
// `jobq status`: a summary (version, store, uptime, counters, throughput),
// then tables of queues, workers and per-task latencies. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "jobq/admin.pb.h"

namespace jobq::cli {

std::string FormatStatusTable(const admin::GetStatusResponse& status);

using TableRow = std::vector<std::string>;
// Left-aligned columns two spaces apart; the last column is not padded so
// lines carry no trailing blanks. Shared with `jobq jobs`.
std::string FormatTable(const std::vector<TableRow>& rows);

// "12s", "5m 03s", "1h 02m 03s", "3d 04h 05m".
std::string FormatDuration(int64_t ms);
// "4.2s ago" under a minute, then as FormatDuration ("5m 03s ago"); "-"
// for a negative age.
std::string FormatHeartbeatAge(int64_t ms_ago);
// "512 B", "1.5 KiB", "45.2 MiB", "1.1 GiB".
std::string FormatBytes(uint64_t bytes);

// "jobs/s over the last 1s, 10s, 60s: submitted 12.0, 10.5, 3.2; finished ...".
std::string FormatThroughput(const admin::ThroughputFigures& throughput);
// A latency for people: "850us", "12.3ms", "1.50s", "5m 03s".
std::string FormatLatency(double seconds);
// Rows of the per-task latency table, header first (TASK, RUNS, RUN P50,
// P90, P99, WAIT P50, P90, P99); just the header when no task has figures.
std::vector<TableRow> LatencyRows(const admin::Figures& figures);

}  // namespace jobq::cli
