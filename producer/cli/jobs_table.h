#pragma once
// What `jobq jobs` prints for a page of ListJobs: a table for people, or
// one JSON object per job for scripts. Pure; thread-safe.
//
// Table columns: ID, QUEUE, TASK, STATE, ATTEMPTS, WHEN (how long ago the
// job finished, started or was submitted), ERROR ("type: message" on one
// line, shortened; "-" for none).
//
// JSON lines, keys in this order, zero and empty ones left out after
// "priority":
//   {"id":"…","queue":"default","task":"fail","state":"dead","attempts":3,
//    "failures":3,"max_attempts":3,"priority":0,"key":"…","submitted_ms":…,
//    "started_ms":…,"finished_ms":…,"expires_ms":…,"worker":"…",
//    "result_bytes":…,"content_type":"…","error":{"type":"…","message":"…"},
//    "workflow":"…","node":"…","parents":["…"],"on_parent_failure":"cancel"|"run",
//    "children":["…"]}
// (workflow and node for a workflow's nodes; parents and on_parent_failure
// for jobs with parents; children for jobs with children).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobq/admin.pb.h"

namespace jobq::cli {

// `now_ms`: unix ms, for the WHEN column. Ends with a newline.
std::string FormatJobsTable(const std::vector<admin::JobInfo>& jobs, int64_t now_ms);

// One JSON object, without a newline.
std::string FormatJobLine(const admin::JobInfo& job);

// `text` on one line (line breaks become spaces), cut to at most
// `max_bytes` bytes (ending "...") without splitting a UTF-8 character.
std::string OneLine(std::string_view text, size_t max_bytes);

// "TYPE: MESSAGE" for people, where a task's exception shows its class
// ("std::runtime_error: disk on fire") rather than the type "exception".
std::string ErrorSummary(const wire::ErrorInfo& error);

}  // namespace jobq::cli
