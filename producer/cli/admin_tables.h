#pragma once
// What the operator commands print (`jobq workers`, `jobq queues`,
// `jobq job ID`, `jobq cancel`): aligned tables and key/value blocks for
// people, JSON for scripts. Pure; thread-safe.

#include <cstdint>
#include <string>

#include "google/protobuf/message.h"
#include "jobq/admin.pb.h"

namespace jobq::cli {

// Columns: QUEUE, STATE (active|paused), QUEUED, RUNNING, WORKERS,
// SENTINELS, FINISHED. "no queues" when there are none.
std::string FormatQueuesTable(const admin::ListQueuesResponse& queues);

// Columns: WORKER, HOST, PID, STATE (active|draining|dead), QUEUES, POOLS
// (in-flight/capacity), CPU%, RSS, DONE, FAILED, HEARTBEAT. "no workers"
// when there are none.
std::string FormatWorkersTable(const admin::ListWorkersResponse& workers);

// `jobq job ID`: one "key  value" line per field that is set (id, queue,
// task, state, attempts, priority, key, worker, the timestamps as UTC
// with how long ago, result or error; a workflow's node its workflow and
// node name; parents and children by id, the first ten of each). `now_ms`:
// unix ms.
std::string FormatJobDetail(const admin::JobInfo& job, int64_t now_ms);

// `jobq job ID --json`: the `jobq jobs --json` line of the job, plus
// "result" (parsed when it is JSON, else a string) when it has one, and
// "progress" (as below) when a report was kept. No newline.
std::string FormatJobDetailJson(const admin::JobInfo& job);

// A job's last progress report: "3/10 (30%) message", or "42 done message"
// when the total is not known; and as JSON {"attempt", "done", "total",
// "message", "reported_ms"} (no newline).
std::string FormatJobProgress(const admin::JobProgress& progress);
std::string FormatJobProgressJson(const admin::JobProgress& progress);

// "ID: message" and {"id","outcome","state","message"} for a CancelJobs result.
std::string FormatCancelLine(const admin::CancelJobResult& result);
std::string FormatCancelJson(const admin::CancelJobResult& result);
// cancelled, cancel_requested, unknown_job, already_finished.
std::string CancelOutcomeName(admin::CancelJobResult::Outcome outcome);

// A response as one line of JSON with the proto's field names, zeros
// included (as `jobq status --json` prints). No newline.
std::string ProtoJson(const google::protobuf::Message& message);

// "2026-11-25 23:50:01.123 UTC" for unix ms.
std::string FormatUtcMs(int64_t unix_ms);
// FormatUtcMs and how far from `now_ms`: "... UTC (5m 03s ago)", "... (12s from now)".
std::string FormatWhen(int64_t unix_ms, int64_t now_ms);

}  // namespace jobq::cli
