#include "producer/cli/admin_tables.h"

#include <google/protobuf/util/json_util.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/job_id.h"
#include "common/json_depth.h"
#include "producer/cli/jobs_table.h"
#include "producer/cli/limits_table.h"
#include "producer/cli/result_output.h"
#include "producer/cli/status_table.h"
#include "producer/client/outcome.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Pools(const admin::WorkerStatus& worker) {
  std::vector<std::string> pools;
  for (const admin::PoolStatus& pool : worker.pools()) {
    pools.push_back(absl::StrCat(pool.kind(), " ", pool.in_flight(), "/", pool.capacity()));
  }
  return pools.empty() ? "-" : absl::StrJoin(pools, ", ");
}

std::string_view DefaultCancelMessage(admin::CancelJobResult::Outcome outcome) {
  switch (outcome) {
    case admin::CancelJobResult::OUTCOME_CANCELLED:
      return "cancelled";
    case admin::CancelJobResult::OUTCOME_CANCEL_REQUESTED:
      return "cancel requested";
    case admin::CancelJobResult::OUTCOME_UNKNOWN_JOB:
      return "not cancelled: no such job";
    case admin::CancelJobResult::OUTCOME_ALREADY_FINISHED:
      return "not cancelled: finished";
    default:
      return "not cancelled";
  }
}

// Ids shown one per row; a chord's callback has thousands of parents.
constexpr int kLinkedIdsShown = 10;

void AppendIdRows(const std::string& key,
                  const google::protobuf::RepeatedPtrField<std::string>& ids,
                  std::vector<TableRow>* rows) {
  for (int i = 0; i < ids.size() && i < kLinkedIdsShown; ++i) {
    rows->push_back({i == 0 ? key : "", JobIdText(ids[i])});
  }
  if (ids.size() > kLinkedIdsShown) {
    rows->push_back({"", absl::StrCat("... ", ids.size() - kLinkedIdsShown, " more (", ids.size(),
                                      " in all; --json lists them)")});
  }
}

void AppendLinkRows(const admin::JobInfo& job, std::vector<TableRow>* rows) {
  if (!job.workflow_id().empty()) {
    rows->push_back({"workflow", JobIdText(job.workflow_id())});
    rows->push_back({"node", job.node_name()});
  }
  if (job.parents_size() > 0) {
    AppendIdRows("parents", job.parents(), rows);
    rows->push_back({"on parent failure", job.on_parent_failure() == wire::PARENT_FAILURE_RUN
                                              ? "run (once every parent has finished, however)"
                                              : "cancel (ends cancelled, upstream_failed)"});
  }
  AppendIdRows("children", job.children(), rows);
}

}  // namespace

std::string FormatWhen(int64_t unix_ms, int64_t now_ms) {
  // FormatDuration shows 0s for a negative span, which a future time is.
  const bool past = now_ms >= unix_ms;
  return absl::StrCat(FormatUtcMs(unix_ms), " (",
                      FormatDuration(past ? now_ms - unix_ms : unix_ms - now_ms),
                      past ? " ago)" : " from now)");
}

std::string FormatUtcMs(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &utc);
  return absl::StrFormat("%s.%03d UTC", text, static_cast<int>(unix_ms % 1000));
}

std::string FormatQueuesTable(const admin::ListQueuesResponse& queues) {
  if (queues.queues().empty()) {
    return "no queues\n";
  }
  std::vector<TableRow> rows = {
      {"QUEUE", "STATE", "QUEUED", "RUNNING", "WORKERS", "SENTINELS", "FINISHED"}};
  for (const admin::QueueStatus& queue : queues.queues()) {
    rows.push_back({queue.name(), QueueState(queue), absl::StrCat(queue.queued()),
                    absl::StrCat(queue.running()), absl::StrCat(queue.workers()),
                    absl::StrCat(queue.sentinels()), absl::StrCat(queue.finished())});
  }
  return FormatTable(rows);
}

std::string FormatWorkersTable(const admin::ListWorkersResponse& workers) {
  if (workers.workers().empty()) {
    return "no workers\n";
  }
  std::vector<TableRow> rows = {{"WORKER", "HOST", "PID", "STATE", "QUEUES",
                                 "POOLS (in-flight/capacity)", "CPU%", "RSS", "DONE", "FAILED",
                                 "HEARTBEAT"}};
  for (const admin::WorkerStatus& worker : workers.workers()) {
    rows.push_back({worker.name(), worker.host().empty() ? "-" : worker.host(),
                    absl::StrCat(worker.pid()), worker.state().empty() ? "-" : worker.state(),
                    worker.queues().empty() ? "-" : absl::StrJoin(worker.queues(), ","),
                    Pools(worker), absl::StrFormat("%.1f", worker.cpu_percent()),
                    FormatBytes(worker.rss_bytes()), absl::StrCat(worker.jobs_done()),
                    absl::StrCat(worker.jobs_failed()),
                    FormatHeartbeatAge(worker.last_heartbeat_ms_ago())});
  }
  return FormatTable(rows);
}

std::string FormatJobDetail(const admin::JobInfo& job, int64_t now_ms) {
  std::vector<TableRow> rows;
  rows.push_back({"id", JobIdText(job.id())});
  rows.push_back({"queue", job.queue()});
  rows.push_back({"task", job.task()});
  rows.push_back({"state", std::string(JobStateName(job.state()))});
  rows.push_back({"attempts", absl::StrCat(job.attempts(), " (failures ", job.failures(),
                                           ", at most ", job.max_attempts(), " attempts)")});
  rows.push_back({"priority", absl::StrCat(job.priority())});
  if (!job.idempotency_key().empty()) {
    rows.push_back({"key", OneLine(job.idempotency_key(), 200)});
  }
  if (!job.worker().empty()) {
    rows.push_back({"worker", job.worker()});
  }
  if (job.submitted_ms() != 0) {
    rows.push_back({"submitted", FormatWhen(job.submitted_ms(), now_ms)});
  }
  if (job.due_ms() != 0) {
    rows.push_back({"due", FormatWhen(job.due_ms(), now_ms)});
  }
  if (job.started_ms() != 0) {
    rows.push_back({"started", FormatWhen(job.started_ms(), now_ms)});
  }
  if (job.finished_ms() != 0) {
    rows.push_back({"finished", FormatWhen(job.finished_ms(), now_ms)});
  }
  if (job.expires_ms() != 0) {
    rows.push_back({"expires", FormatWhen(job.expires_ms(), now_ms)});
  }
  if (!job.payload().empty()) {
    rows.push_back({"args", ClassifyContentType(job.payload_content_type()) == PayloadKind::kBinary
                                ? absl::StrCat(FormatBytes(job.payload().size()), " of ",
                                               job.payload_content_type())
                                : OneLine(job.payload(), 2000)});
  }
  if (job.state() == wire::JOB_STATE_SUCCEEDED) {
    if (ClassifyContentType(job.content_type()) == PayloadKind::kBinary) {
      rows.push_back({"result", absl::StrCat(FormatBytes(job.result_bytes()), " of ",
                                             job.content_type(), " (jobq result ID prints it)")});
    } else {
      rows.push_back({"result", OneLine(job.result().empty() ? "null" : job.result(), 2000)});
    }
  }
  if (job.has_error() && (!job.error().type().empty() || !job.error().message().empty())) {
    rows.push_back({"error", OneLine(ErrorSummary(job.error()), 2000)});
  }
  AppendLinkRows(job, &rows);
  if (job.has_progress()) {
    rows.push_back(
        {"progress",
         absl::StrCat(FormatJobProgress(job.progress()), " (attempt ", job.progress().attempt(),
                      ", reported ", FormatWhen(job.progress().reported_ms(), now_ms), ")")});
  }
  return FormatTable(rows);
}

std::string FormatJobProgress(const admin::JobProgress& progress) {
  std::string text = progress.total() == 0
                         ? absl::StrCat(progress.done(), " done")
                         : absl::StrCat(progress.done(), "/", progress.total(), " (",
                                        progress.done() * 100 / progress.total(), "%)");
  if (!progress.message().empty()) {
    absl::StrAppend(&text, " ", OneLine(progress.message(), 256));
  }
  return text;
}

std::string FormatJobProgressJson(const admin::JobProgress& progress) {
  Json json = Json::object();
  json["attempt"] = progress.attempt();
  json["done"] = progress.done();
  json["total"] = progress.total();
  json["message"] = progress.message();
  json["reported_ms"] = progress.reported_ms();
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string FormatJobDetailJson(const admin::JobInfo& job) {
  Json json = Json::parse(FormatJobLine(job));
  if (job.has_progress()) {
    json["progress"] = Json::parse(FormatJobProgressJson(job.progress()));
  }
  // The arguments as the result below: JSON as JSON, text as a string,
  // binary left out.
  if (!job.payload().empty()) {
    Json args;
    if (ClassifyContentType(job.payload_content_type()) == PayloadKind::kJson &&
        ParseJsonBounded(job.payload(), &args).ok()) {
      json["args"] = std::move(args);
    } else if (ClassifyContentType(job.payload_content_type()) != PayloadKind::kBinary) {
      json["args"] = job.payload();
    }
  }
  if (job.state() == wire::JOB_STATE_SUCCEEDED) {
    // A result nested too deep to print safely is shown as the string it is.
    Json result;
    if (ClassifyContentType(job.content_type()) == PayloadKind::kJson &&
        ParseJsonBounded(job.result(), &result).ok()) {
      json["result"] = std::move(result);
    } else if (ClassifyContentType(job.content_type()) != PayloadKind::kBinary) {
      json["result"] = job.result();
    }
  }
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string CancelOutcomeName(admin::CancelJobResult::Outcome outcome) {
  switch (outcome) {
    case admin::CancelJobResult::OUTCOME_CANCELLED:
      return "cancelled";
    case admin::CancelJobResult::OUTCOME_CANCEL_REQUESTED:
      return "cancel_requested";
    case admin::CancelJobResult::OUTCOME_UNKNOWN_JOB:
      return "unknown_job";
    case admin::CancelJobResult::OUTCOME_ALREADY_FINISHED:
      return "already_finished";
    default:
      return "unspecified";
  }
}

std::string FormatCancelLine(const admin::CancelJobResult& result) {
  const std::string message = result.message().empty()
                                  ? std::string(DefaultCancelMessage(result.outcome()))
                                  : result.message();
  return absl::StrCat(JobIdText(result.id()), ": ", OneLine(message, message.size()));
}

std::string FormatCancelJson(const admin::CancelJobResult& result) {
  Json json = Json::object();
  json["id"] = JobIdText(result.id());
  json["outcome"] = CancelOutcomeName(result.outcome());
  if (result.state() != wire::JOB_STATE_UNSPECIFIED) {
    json["state"] = std::string(JobStateName(result.state()));
  }
  json["message"] = result.message().empty() ? std::string(DefaultCancelMessage(result.outcome()))
                                             : result.message();
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    return "{}";
  }
  return text;
}

}  // namespace jobq::cli
