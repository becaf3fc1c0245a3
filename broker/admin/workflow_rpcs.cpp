// AdminService: the workflow RPCs (proto/jobq/workflow.proto). Ids, the
// state name and the limits are checked here (workflow_requests.h); the
// loop answers from the core.

#include "broker/admin/admin_server.h"
#include "broker/admin/unary_answer.h"
#include "broker/admin/workflow_requests.h"

namespace jobq::broker::admin {

grpc::ServerUnaryReactor* AdminService::GetWorkflow(grpc::CallbackServerContext* context,
                                                    const jobq::admin::GetWorkflowRequest* request,
                                                    jobq::admin::WorkflowInfo* response) {
  return Answer(auth_, "GetWorkflow", context, *request, response, NormalizeGetWorkflow,
                [this](const auto& checked, auto reply) {
                  control_->GetWorkflow(checked, std::move(reply));
                });
}

grpc::ServerUnaryReactor* AdminService::ListWorkflows(
    grpc::CallbackServerContext* context, const jobq::admin::ListWorkflowsRequest* request,
    jobq::admin::ListWorkflowsResponse* response) {
  return Answer(auth_, "ListWorkflows", context, *request, response, NormalizeListWorkflows,
                [this](const auto& checked, auto reply) {
                  control_->ListWorkflows(checked, std::move(reply));
                });
}

grpc::ServerUnaryReactor* AdminService::CancelWorkflow(
    grpc::CallbackServerContext* context, const jobq::admin::CancelWorkflowRequest* request,
    jobq::admin::CancelWorkflowResponse* response) {
  return Answer(auth_, "CancelWorkflow", context, *request, response, NormalizeCancelWorkflow,
                [this](const auto& checked, auto reply) {
                  control_->CancelWorkflow(checked, std::move(reply));
                });
}

}  // namespace jobq::broker::admin
