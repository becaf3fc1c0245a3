#pragma once
// How the CLI shows limits: the `jobq limits` table and JSON, one limit as
// `jobq limit` prints it, and a queue's state column (active, paused,
// limited) shared by `jobq queues`, `jobq status` and `jobq top`.
// Pure functions; thread-safe.

#include <string>

#include "jobq/admin.pb.h"

namespace jobq::cli {

// "paused", "limited until 12:00:01.250 UTC" (held by its rate),
// "limited (concurrency)" (held by a cap), or "active".
std::string QueueState(const admin::QueueStatus& queue);

// QUEUE TASK RATE BURST CONCURRENCY RUNNING TOKENS STATE, or "no limits".
std::string FormatLimitsTable(const admin::ListLimitsResponse& limits);
// {"queue","task","rate","burst","concurrency","running","tokens","limited","next_token_ms"},
// fields without a value ("task" of a queue's own limit, "rate" without
// one) left out. One line.
std::string FormatLimitJson(const admin::Limit& limit);
// "queue Q: 100/s (burst 100), at most 5 running".
std::string FormatLimitLine(const admin::Limit& limit);

}  // namespace jobq::cli
