// GET /api/jobs, GET /api/jobs/ID, POST /api/jobs/retry, POST /api/jobs/cancel.

#include "absl/strings/str_cat.h"
#include "broker/admin/job_requests.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/loop_ask.h"
#include "broker/http/request_params.h"
#include "common/job_id.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/jobs_table.h"
#include "producer/cli/retry_lines.h"

namespace jobq::broker::http {
namespace {

// "\"ID\"" or null: the next page's `after`.
std::string NextAfter(const std::string& next_page_after) {
  return next_page_after.empty() ? "null" : absl::StrCat("\"", JobIdText(next_page_after), "\"");
}

}  // namespace

HttpResponse DashboardApi::Jobs(const HttpRequest& request) {
  absl::StatusOr<::jobq::admin::ListJobsRequest> parsed = ParseJobsQuery(request.query);
  if (!parsed.ok()) {
    return Error(true, 400, parsed.status().message(), Refusal::kBadRequest);
  }
  if (absl::Status valid = admin::NormalizeListJobs(&*parsed); !valid.ok()) {
    return Failed(valid);
  }
  absl::StatusOr<::jobq::admin::ListJobsResponse> page = AskLoop<::jobq::admin::ListJobsResponse>(
      [&](auto reply) { parts_.control->ListJobs(*parsed, std::move(reply)); },
      parts_.loop_timeout);
  if (!page.ok()) {
    return Failed(page.status());
  }
  // The lines of `jobq jobs --json`, as an array.
  std::string body = "{\"jobs\":[";
  for (int i = 0; i < page->jobs_size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", cli::FormatJobLine(page->jobs(i)));
  }
  absl::StrAppend(&body, "],\"next_after\":", NextAfter(page->next_page_after()), "}");
  return Json(std::move(body));
}

HttpResponse DashboardApi::Job(const std::string& id) {
  absl::StatusOr<std::string> bytes = ParseJobIdText(id);
  if (!bytes.ok()) {
    return Error(true, 400, bytes.status().message(), Refusal::kBadRequest);
  }
  ::jobq::admin::GetJobRequest request;
  request.set_id(*bytes);
  absl::StatusOr<::jobq::admin::JobInfo> job = AskLoop<::jobq::admin::JobInfo>(
      [&](auto reply) { parts_.control->GetJob(request, std::move(reply)); }, parts_.loop_timeout);
  if (!job.ok()) {
    return Failed(job.status());
  }
  return Json(cli::FormatJobDetailJson(*job));
}

HttpResponse DashboardApi::RetryJobs(const HttpRequest& request) {
  absl::StatusOr<std::vector<std::string>> ids = ParseIdsBody(request.body);
  if (!ids.ok()) {
    return Error(true, 400, ids.status().message(), Refusal::kBadRequest);
  }
  ::jobq::admin::RetryJobsRequest retry;
  for (std::string& id : *ids) {
    retry.add_ids(std::move(id));
  }
  if (absl::Status valid = admin::NormalizeRetryJobs(&retry); !valid.ok()) {
    return Failed(valid);
  }
  absl::StatusOr<::jobq::admin::RetryJobsResponse> retried =
      AskLoop<::jobq::admin::RetryJobsResponse>(
          [&](auto reply) { parts_.control->RetryJobs(retry, std::move(reply)); },
          parts_.loop_timeout);
  if (!retried.ok()) {
    return Failed(retried.status());
  }
  std::string body = "{\"results\":[";
  for (int i = 0; i < retried->results_size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", cli::FormatRetryJson(retried->results(i)));
  }
  body += "]}";
  return Json(std::move(body));
}

HttpResponse DashboardApi::CancelJobs(const HttpRequest& request) {
  absl::StatusOr<std::vector<std::string>> ids = ParseIdsBody(request.body);
  if (!ids.ok()) {
    return Error(true, 400, ids.status().message(), Refusal::kBadRequest);
  }
  ::jobq::admin::CancelJobsRequest cancel;
  for (std::string& id : *ids) {
    cancel.add_ids(std::move(id));
  }
  if (absl::Status valid = admin::NormalizeCancelJobs(&cancel); !valid.ok()) {
    return Failed(valid);
  }
  absl::StatusOr<::jobq::admin::CancelJobsResponse> cancelled =
      AskLoop<::jobq::admin::CancelJobsResponse>(
          [&](auto reply) { parts_.control->CancelJobs(cancel, std::move(reply)); },
          parts_.loop_timeout);
  if (!cancelled.ok()) {
    return Failed(cancelled.status());
  }
  std::string body = "{\"results\":[";
  for (int i = 0; i < cancelled->results_size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", cli::FormatCancelJson(cancelled->results(i)));
  }
  body += "]}";
  return Json(std::move(body));
}

}  // namespace jobq::broker::http
