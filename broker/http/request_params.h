#pragma once
// The dashboard API's inputs, parsed: query strings (GET /api/jobs?...,
// /api/workflows?...), path segments (job ids, queue and worker names) and
// the JSON bodies of POST /api/login and the job actions. Each error is
// INVALID_ARGUMENT with a message naming the parameter and saying what it
// takes (`limit must be 1..500`, `bad job id "xyz"`). Pure; thread-safe;
// fuzzed (tests/fuzz/fuzz_http_request.cpp).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jobq/admin.pb.h"
#include "jobq/workflow.pb.h"

namespace jobq::broker::http {

// A page of jobs or workflows holds at most this many (the page's "retry
// all" sends at most this many ids back).
inline constexpr uint32_t kPageLimitMax = 500;
inline constexpr uint32_t kDefaultPageLimit = 50;
// Ids in one POST /api/jobs/retry or /api/jobs/cancel.
inline constexpr size_t kActionIdsMax = 1'000;

// `a=1&b=x%20y` into its parameters, %XX and '+' decoded. A parameter
// given twice, a malformed %-escape, or more than 16 parameters is an error.
absl::StatusOr<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// %XX-decodes `text` (not '+': for path segments). Error on a malformed
// escape or a decoded NUL byte; `what` names it.
absl::StatusOr<std::string> PercentDecode(std::string_view text, std::string_view what);

// A job id as the CLI prints it (the 36-character text) into its 16 bytes;
// `bad job id "xyz"` otherwise (the text is shown cut to 64 bytes).
absl::StatusOr<std::string> ParseJobIdText(std::string_view text);

// GET /api/jobs?state=&queue=&task=&limit=&after=: a ListJobsRequest with
// state_name, queue, task, limit (default 50, 1..500) and page_after (16
// bytes). An unknown parameter is an error naming the known ones.
absl::StatusOr<::jobq::admin::ListJobsRequest> ParseJobsQuery(std::string_view query);

// GET /api/workflows?state=&after=&limit=, likewise.
absl::StatusOr<::jobq::admin::ListWorkflowsRequest> ParseWorkflowsQuery(std::string_view query);

// The body of POST /api/jobs/retry|cancel: {"ids": ["ID", ...]}, 1 to
// kActionIdsMax ids as text; the 16 bytes of each, in order.
absl::StatusOr<std::vector<std::string>> ParseIdsBody(std::string_view body);

// The body of POST /api/login: {"token": "..."}; the token.
absl::StatusOr<std::string> ParseLoginBody(std::string_view body);

// A GET with no parameters (/api/status, /api/schedules...): an error
// naming the first one given.
absl::Status CheckNoQuery(std::string_view query);

}  // namespace jobq::broker::http
