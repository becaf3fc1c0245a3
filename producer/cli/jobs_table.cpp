#include "producer/cli/jobs_table.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "producer/cli/status_table.h"
#include "producer/client/outcome.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

// Long enough for a typical exception message, short enough that a row
// still fits a wide terminal.
constexpr size_t kMaxErrorBytes = 80;

std::string Ago(std::string_view what, int64_t then_ms, int64_t now_ms) {
  return absl::StrCat(std::string(what), " ", FormatDuration(now_ms - then_ms), " ago");
}

std::string When(const admin::JobInfo& job, int64_t now_ms) {
  if (job.finished_ms() > 0) {
    return Ago("finished", job.finished_ms(), now_ms);
  }
  if (job.state() == wire::JOB_STATE_RUNNING && job.started_ms() > 0) {
    return Ago("started", job.started_ms(), now_ms);
  }
  if (job.submitted_ms() > 0) {
    return Ago("submitted", job.submitted_ms(), now_ms);
  }
  return "-";
}

std::string ErrorCell(const admin::JobInfo& job) {
  if (!job.has_error() || (job.error().type().empty() && job.error().message().empty())) {
    return "-";
  }
  return OneLine(ErrorSummary(job.error()), kMaxErrorBytes);
}

}  // namespace

std::string ErrorSummary(const wire::ErrorInfo& error) {
  const std::string& label =
      error.type() == "exception" && !error.exception().empty() ? error.exception() : error.type();
  return absl::StrCat(label, ": ", error.message());
}

std::string OneLine(std::string_view text, size_t max_bytes) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  if (line.size() <= max_bytes) {
    return line;
  }
  constexpr std::string_view kEllipsis = "...";
  size_t cut = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  // Back up over UTF-8 continuation bytes (10xxxxxx) to a character start.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  line.resize(cut);
  line += kEllipsis;
  return line;
}

std::string FormatJobsTable(const std::vector<admin::JobInfo>& jobs, int64_t now_ms) {
  std::vector<TableRow> rows = {{"ID", "QUEUE", "TASK", "STATE", "ATTEMPTS", "WHEN", "ERROR"}};
  for (const admin::JobInfo& job : jobs) {
    rows.push_back({JobIdText(job.id()), job.queue(), job.task(),
                    std::string(JobStateName(job.state())), absl::StrCat(job.attempts()),
                    When(job, now_ms), ErrorCell(job)});
  }
  return FormatTable(rows);
}

std::string FormatJobLine(const admin::JobInfo& job) {
  Json json = Json::object();
  json["id"] = JobIdText(job.id());
  json["queue"] = job.queue();
  json["task"] = job.task();
  json["state"] = std::string(JobStateName(job.state()));
  json["attempts"] = job.attempts();
  json["failures"] = job.failures();
  json["max_attempts"] = job.max_attempts();
  json["priority"] = job.priority();
  if (!job.idempotency_key().empty()) {
    json["key"] = job.idempotency_key();
  }
  if (job.submitted_ms() != 0) {
    json["submitted_ms"] = job.submitted_ms();
  }
  if (job.due_ms() != 0) {
    json["due_ms"] = job.due_ms();
  }
  if (job.started_ms() != 0) {
    json["started_ms"] = job.started_ms();
  }
  if (job.finished_ms() != 0) {
    json["finished_ms"] = job.finished_ms();
  }
  if (job.expires_ms() != 0) {
    json["expires_ms"] = job.expires_ms();
  }
  if (!job.worker().empty()) {
    json["worker"] = job.worker();
  }
  if (job.result_bytes() != 0) {
    json["result_bytes"] = job.result_bytes();
  }
  if (!job.content_type().empty()) {
    json["content_type"] = job.content_type();
  }
  if (job.has_error() && (!job.error().type().empty() || !job.error().message().empty())) {
    Json error = Json::object();
    error["type"] = job.error().type();
    error["message"] = job.error().message();
    if (!job.error().exception().empty()) {
      error["exception"] = job.error().exception();
    }
    if (!job.error().detail().empty()) {
      error["detail"] = job.error().detail();
    }
    json["error"] = std::move(error);
  }
  // Parents, children and workflow: only for jobs that have them.
  if (!job.workflow_id().empty()) {
    json["workflow"] = JobIdText(job.workflow_id());
    json["node"] = job.node_name();
  }
  if (job.parents_size() > 0) {
    Json parents = Json::array();
    for (const std::string& parent : job.parents()) {
      parents.push_back(JobIdText(parent));
    }
    json["parents"] = std::move(parents);
    json["on_parent_failure"] =
        job.on_parent_failure() == wire::PARENT_FAILURE_RUN ? "run" : "cancel";
  }
  if (job.children_size() > 0) {
    Json children = Json::array();
    for (const std::string& child : job.children()) {
      children.push_back(JobIdText(child));
    }
    json["children"] = std::move(children);
  }
  // Task names, keys and messages are arbitrary bytes: invalid UTF-8 is
  // replaced rather than allowed to abort the dump.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace jobq::cli
