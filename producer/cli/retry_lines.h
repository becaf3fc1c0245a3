#pragma once
// What `jobq retry` prints per id (RetryJobs' results): a line for people,
// JSON for scripts; the dashboard's POST /api/jobs/retry answers with the
// same JSON. Pure; thread-safe.

#include <string>

#include "jobq/admin.pb.h"

namespace jobq::cli {

// "ID: <the broker's message>", without a newline.
std::string FormatRetryLine(const admin::RetryJobResult& result);

// {"id","outcome":"retried"|"unknown_job"|"not_finished"|"shutting_down"|
// "waits_for_parents","state","message"}
std::string FormatRetryJson(const admin::RetryJobResult& result);

}  // namespace jobq::cli
