#include "producer/cli/limits_table.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/status_table.h"

namespace jobq::cli {
namespace {

// "12:00:01.250 UTC": a next token is within seconds, the date adds nothing.
std::string TimeOfDay(int64_t unix_ms) {
  const std::string full = FormatUtcMs(unix_ms);
  return full.size() > 11 ? full.substr(11) : full;
}

std::string LimitState(bool limited, int64_t next_token_ms) {
  if (!limited) {
    return "open";
  }
  return next_token_ms > 0 ? absl::StrCat("limited until ", TimeOfDay(next_token_ms))
                           : "limited (concurrency)";
}

}  // namespace

std::string QueueState(const admin::QueueStatus& queue) {
  if (queue.paused()) {
    return "paused";
  }
  return queue.limited() ? LimitState(true, queue.next_token_ms()) : "active";
}

std::string FormatLimitsTable(const admin::ListLimitsResponse& limits) {
  if (limits.limits().empty()) {
    return "no limits\n";
  }
  std::vector<TableRow> rows = {
      {"QUEUE", "TASK", "RATE", "BURST", "CONCURRENCY", "RUNNING", "TOKENS", "STATE"}};
  for (const admin::Limit& limit : limits.limits()) {
    const bool rated = !limit.rate().empty();
    rows.push_back({limit.queue(), limit.task().empty() ? "*" : limit.task(),
                    rated ? limit.rate() : "-", rated ? absl::StrCat(limit.burst()) : "-",
                    limit.concurrency() != 0 ? absl::StrCat(limit.concurrency()) : "-",
                    absl::StrCat(limit.running()), rated ? absl::StrCat(limit.tokens()) : "-",
                    LimitState(limit.limited(), limit.next_token_ms())});
  }
  return FormatTable(rows);
}

std::string FormatLimitJson(const admin::Limit& limit) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["queue"] = limit.queue();
  if (!limit.task().empty()) {
    json["task"] = limit.task();
  }
  if (!limit.rate().empty()) {
    json["rate"] = limit.rate();
    json["burst"] = limit.burst();
  }
  if (limit.concurrency() != 0) {
    json["concurrency"] = limit.concurrency();
  }
  json["running"] = limit.running();
  if (!limit.rate().empty()) {
    json["tokens"] = limit.tokens();
  }
  json["limited"] = limit.limited();
  if (limit.next_token_ms() > 0) {
    json["next_token_ms"] = limit.next_token_ms();
  }
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string FormatLimitLine(const admin::Limit& limit) {
  std::string line = absl::StrCat("queue ", limit.queue());
  if (!limit.task().empty()) {
    absl::StrAppend(&line, ", task ", limit.task());
  }
  absl::StrAppend(&line, ":");
  if (!limit.rate().empty()) {
    absl::StrAppend(&line, " ", limit.rate(), " (burst ", limit.burst(), ")");
  }
  if (limit.concurrency() != 0) {
    absl::StrAppend(&line, limit.rate().empty() ? "" : ",", " at most ", limit.concurrency(),
                    " running");
  }
  return line;
}

}  // namespace jobq::cli
