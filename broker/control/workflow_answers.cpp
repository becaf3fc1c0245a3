#include "broker/control/workflow_answers.h"

#include <algorithm>
#include <optional>
#include <string>

#include "broker/admin/workflow_requests.h"
#include "common/log.h"
#include "common/workflow_state.h"

namespace jobq::broker::control {
namespace {

constexpr char kUnknownWorkflowWhy[] =
    "the id is wrong, or the workflow finished and was forgotten with its nodes' results "
    "(result TTL); jobq workflow list shows the ones kept";

absl::StatusOr<JobId> WorkflowId(const std::string& bytes, const char* field) {
  std::optional<JobId> id = JobId::FromBytes(bytes);
  if (!id) {
    return absl::InvalidArgumentError(std::string(field) + " is not a 16-byte workflow id");
  }
  return *id;
}

// The limit as the RPC takes it: 0 is the default, more is capped.
size_t BoundedLimit(uint32_t requested, uint32_t fallback, uint32_t most) {
  return requested == 0 ? fallback : std::min(requested, most);
}

}  // namespace

absl::StatusOr<::jobq::admin::WorkflowInfo> AnswerGetWorkflow(
    const core::BrokerCore& core, const ::jobq::admin::GetWorkflowRequest& request) {
  absl::StatusOr<JobId> id = WorkflowId(request.id(), "id");
  if (!id.ok()) {
    return id.status();
  }
  const core::Workflow* workflow = core.FindWorkflow(*id);
  if (workflow == nullptr) {
    return absl::NotFoundError("no workflow " + id->ToString() + " here: " + kUnknownWorkflowWhy);
  }
  return core.WorkflowInfoOf(*workflow, request.node_offset(),
                             BoundedLimit(request.node_limit(), admin::kDefaultWorkflowNodeLimit,
                                          admin::kMaxWorkflowNodeLimit));
}

absl::StatusOr<::jobq::admin::ListWorkflowsResponse> AnswerListWorkflows(
    const core::BrokerCore& core, const ::jobq::admin::ListWorkflowsRequest& request) {
  ::jobq::admin::WorkflowState state = ::jobq::admin::WORKFLOW_STATE_UNSPECIFIED;
  if (!request.state_name().empty()) {
    absl::StatusOr<::jobq::admin::WorkflowState> parsed =
        ParseWorkflowStateName(request.state_name());
    if (!parsed.ok()) {
      return parsed.status();
    }
    state = *parsed;
  }
  std::optional<JobId> after;
  if (!request.page_after().empty()) {
    absl::StatusOr<JobId> parsed = WorkflowId(request.page_after(), "page_after");
    if (!parsed.ok()) {
      return parsed.status();
    }
    after = *parsed;
  }
  const core::WorkflowPage page =
      core.ListWorkflows(state, after,
                         BoundedLimit(request.limit(), admin::kDefaultWorkflowListLimit,
                                      admin::kMaxWorkflowListLimit));
  ::jobq::admin::ListWorkflowsResponse response;
  for (const core::Workflow* workflow : page.workflows) {
    *response.add_workflows() = core.WorkflowInfoOf(*workflow, 0, 0);
  }
  if (page.next_after) {
    response.set_next_page_after(std::string(page.next_after->Bytes()));
  }
  return response;
}

absl::StatusOr<::jobq::admin::CancelWorkflowResponse> AnswerCancelWorkflow(
    core::BrokerCore& core, const ::jobq::admin::CancelWorkflowRequest& request, TimeMs now_ms,
    core::Effects* effects) {
  absl::StatusOr<JobId> id = WorkflowId(request.id(), "id");
  if (!id.ok()) {
    return id.status();
  }
  if (core.FindWorkflow(*id) == nullptr) {
    return absl::NotFoundError("no workflow " + id->ToString() + " here: " + kUnknownWorkflowWhy);
  }
  absl::StatusOr<core::WorkflowCancelCounts> counts = core.CancelWorkflow(*id, now_ms, effects);
  if (!counts.ok()) {
    return counts.status();
  }
  JOBQ_LOG(kInfo, "broker", "workflow_cancelled")
      .Kv("workflow", id->ToString())
      .Kv("cancelled", counts->cancelled)
      .Kv("cancel_requested", counts->cancel_requested);
  ::jobq::admin::CancelWorkflowResponse response;
  response.set_cancelled(static_cast<uint32_t>(counts->cancelled));
  response.set_cancel_requested(static_cast<uint32_t>(counts->cancel_requested));
  return response;
}

}  // namespace jobq::broker::control
