#pragma once
// The broker's figures in the Prometheus text exposition format (0.0.4), as
// `jobq-broker --metrics HOST:PORT` serves them on GET /metrics.
//
// Pure: renders one status snapshot (GetStatusResponse, with its figures);
// whoever serves it decides which snapshot. Thread-safe.
//
// Families: jobs submitted/completed/failed/cancelled by queue and task
// (counters), queue depth by state, jobs in flight, pool capacity and
// in-flight by pool, workers by state (gauges), per-task queue-wait and
// run-time histograms, broker loop iteration and store commit histograms,
// workflows by state, and the broker's own counters. Names are listed in
// README.md.

#include <string>

#include "jobq/admin.pb.h"

namespace jobq::broker::metrics {

// The Content-Type to serve the text with.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderPrometheus(const ::jobq::admin::GetStatusResponse& status);

}  // namespace jobq::broker::metrics
