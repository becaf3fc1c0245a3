// GET /api/schedules, /api/limits, /api/workflows, /api/workflows/ID.

#include "absl/strings/str_cat.h"
#include "broker/admin/workflow_requests.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/loop_ask.h"
#include "broker/http/request_params.h"
#include "common/job_id.h"
#include "producer/cli/limits_table.h"
#include "producer/cli/schedule_tables.h"
#include "producer/cli/workflow_tables.h"

namespace jobq::broker::http {

HttpResponse DashboardApi::Schedules(const HttpRequest& request) {
  if (absl::Status no_query = CheckNoQuery(request.query); !no_query.ok()) {
    return Error(true, 400, no_query.message(), Refusal::kBadRequest);
  }
  absl::StatusOr<::jobq::admin::ListSchedulesResponse> listed =
      AskLoop<::jobq::admin::ListSchedulesResponse>(
          [&](auto reply) {
            parts_.control->ListSchedules(::jobq::admin::ListSchedulesRequest(), std::move(reply));
          },
          parts_.loop_timeout);
  if (!listed.ok()) {
    return Failed(listed.status());
  }
  std::string body = "{\"schedules\":[";
  for (int i = 0; i < listed->schedules_size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", cli::FormatScheduleJson(listed->schedules(i)));
  }
  body += "]}";
  return Json(std::move(body));
}

HttpResponse DashboardApi::Limits(const HttpRequest& request) {
  if (absl::Status no_query = CheckNoQuery(request.query); !no_query.ok()) {
    return Error(true, 400, no_query.message(), Refusal::kBadRequest);
  }
  absl::StatusOr<::jobq::admin::ListLimitsResponse> listed =
      AskLoop<::jobq::admin::ListLimitsResponse>(
          [&](auto reply) {
            parts_.control->ListLimits(::jobq::admin::ListLimitsRequest(), std::move(reply));
          },
          parts_.loop_timeout);
  if (!listed.ok()) {
    return Failed(listed.status());
  }
  std::string body = "{\"limits\":[";
  for (int i = 0; i < listed->limits_size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", cli::FormatLimitJson(listed->limits(i)));
  }
  body += "]}";
  return Json(std::move(body));
}

HttpResponse DashboardApi::Workflows(const HttpRequest& request) {
  absl::StatusOr<::jobq::admin::ListWorkflowsRequest> parsed = ParseWorkflowsQuery(request.query);
  if (!parsed.ok()) {
    return Error(true, 400, parsed.status().message(), Refusal::kBadRequest);
  }
  if (absl::Status valid = admin::NormalizeListWorkflows(&*parsed); !valid.ok()) {
    return Failed(valid);
  }
  absl::StatusOr<::jobq::admin::ListWorkflowsResponse> listed =
      AskLoop<::jobq::admin::ListWorkflowsResponse>(
          [&](auto reply) { parts_.control->ListWorkflows(*parsed, std::move(reply)); },
          parts_.loop_timeout);
  if (!listed.ok()) {
    return Failed(listed.status());
  }
  std::string body = "{\"workflows\":[";
  for (int i = 0; i < listed->workflows_size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "",
                    cli::FormatWorkflowJson(listed->workflows(i), {}, /*with_nodes=*/false));
  }
  absl::StrAppend(&body, "],\"next_after\":",
                  listed->next_page_after().empty()
                      ? std::string("null")
                      : absl::StrCat("\"", JobIdText(listed->next_page_after()), "\""),
                  "}");
  return Json(std::move(body));
}

HttpResponse DashboardApi::Workflow(const std::string& id) {
  absl::StatusOr<std::string> bytes = ParseJobIdText(id);
  if (!bytes.ok()) {
    return Error(true, 400, bytes.status().message(), Refusal::kBadRequest);
  }
  ::jobq::admin::GetWorkflowRequest request;
  request.set_id(*bytes);
  // One page of the largest size: the page draws up to a few hundred nodes
  // and lists the rest; node_count says when there are more than came.
  request.set_node_limit(admin::kMaxWorkflowNodeLimit);
  if (absl::Status valid = admin::NormalizeGetWorkflow(&request); !valid.ok()) {
    return Failed(valid);
  }
  absl::StatusOr<::jobq::admin::WorkflowInfo> workflow = AskLoop<::jobq::admin::WorkflowInfo>(
      [&](auto reply) { parts_.control->GetWorkflow(request, std::move(reply)); },
      parts_.loop_timeout);
  if (!workflow.ok()) {
    return Failed(workflow.status());
  }
  std::vector<::jobq::admin::WorkflowNodeInfo> nodes(workflow->nodes().begin(),
                                                     workflow->nodes().end());
  workflow->clear_nodes();
  return Json(cli::FormatWorkflowJson(*workflow, nodes, /*with_nodes=*/true));
}

}  // namespace jobq::broker::http
