#pragma once
// What the workflow RPCs (GetWorkflow, ListWorkflows, CancelWorkflow) do
// to the core and answer; run on the loop thread by LoopControl, like
// admin_answers.h. Requests arrive checked (broker/admin/workflow_requests.h);
// malformed ids are still refused with INVALID_ARGUMENT.

#include "absl/status/statusor.h"
#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "common/clock.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::control {

// NOT_FOUND for a workflow the broker does not keep.
absl::StatusOr<::jobq::admin::WorkflowInfo> AnswerGetWorkflow(
    const core::BrokerCore& core, const ::jobq::admin::GetWorkflowRequest& request);
// INVALID_ARGUMENT for a state name other than the four (listing them).
absl::StatusOr<::jobq::admin::ListWorkflowsResponse> AnswerListWorkflows(
    const core::BrokerCore& core, const ::jobq::admin::ListWorkflowsRequest& request);
// NOT_FOUND; FAILED_PRECONDITION when every node has finished. The caller
// answers once `effects` are committed.
absl::StatusOr<::jobq::admin::CancelWorkflowResponse> AnswerCancelWorkflow(
    core::BrokerCore& core, const ::jobq::admin::CancelWorkflowRequest& request, TimeMs now_ms,
    core::Effects* effects);

}  // namespace jobq::broker::control
