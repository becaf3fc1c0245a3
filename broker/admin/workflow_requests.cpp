#include "broker/admin/workflow_requests.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "broker/admin/job_requests.h"
#include "common/status_macros.h"
#include "common/workflow_state.h"

namespace jobq::broker::admin {
namespace {

// A workflow id is a job id from the same generator: the same two forms.
absl::Status NormalizeWorkflowId(std::string* id, std::string_view field) {
  if (id->empty()) {
    return absl::InvalidArgumentError(std::string(field) +
                                      " is empty: give the workflow id jobq printed");
  }
  absl::StatusOr<std::string> bytes = NormalizeJobId(*id, field);
  if (!bytes.ok()) {
    // The bytes may be anything; echoing them back could garble the message.
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field),
        " is not a workflow id: expected the 36-character UUID text jobq printed for it (e.g. "
        "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f) or its 16 bytes, got ",
        id->size(), " bytes"));
  }
  *id = *std::move(bytes);
  return absl::OkStatus();
}

}  // namespace

absl::Status NormalizeGetWorkflow(jobq::admin::GetWorkflowRequest* request) {
  JOBQ_RETURN_IF_ERROR(NormalizeWorkflowId(request->mutable_id(), "id"));
  if (request->node_limit() == 0) {
    request->set_node_limit(kDefaultWorkflowNodeLimit);
  } else if (request->node_limit() > kMaxWorkflowNodeLimit) {
    request->set_node_limit(kMaxWorkflowNodeLimit);
  }
  return absl::OkStatus();
}

absl::Status NormalizeListWorkflows(jobq::admin::ListWorkflowsRequest* request) {
  if (!request->state_name().empty()) {
    JOBQ_ASSIGN_OR_RETURN(jobq::admin::WorkflowState state,
                          ParseWorkflowStateName(request->state_name()));
    request->set_state_name(std::string(WorkflowStateName(state)));
  }
  if (!request->page_after().empty()) {
    JOBQ_RETURN_IF_ERROR(NormalizeWorkflowId(request->mutable_page_after(), "page_after"));
  }
  if (request->limit() == 0) {
    request->set_limit(kDefaultWorkflowListLimit);
  } else if (request->limit() > kMaxWorkflowListLimit) {
    request->set_limit(kMaxWorkflowListLimit);
  }
  return absl::OkStatus();
}

absl::Status NormalizeCancelWorkflow(jobq::admin::CancelWorkflowRequest* request) {
  return NormalizeWorkflowId(request->mutable_id(), "id");
}

}  // namespace jobq::broker::admin
