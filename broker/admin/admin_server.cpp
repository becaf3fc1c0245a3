#include "broker/admin/admin_server.h"

#include <chrono>

#include "broker/admin/job_requests.h"

namespace jobq::broker::admin {
namespace {

// absl and gRPC share the canonical status codes and their numbers.
grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Checks `request`, asks the loop, and finishes the call with its answer.
template <typename Request, typename Response, typename Normalize, typename Ask>
grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const Request& request,
                                 Response* response, Normalize normalize, Ask ask) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request checked = request;
  if (absl::Status valid = normalize(&checked); !valid.ok()) {
    reactor->Finish(ToGrpc(valid));
    return reactor;
  }
  absl::StatusOr<Response> answer = ask(checked);
  if (!answer.ok()) {
    reactor->Finish(ToGrpc(answer.status()));
    return reactor;
  }
  *response = *std::move(answer);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* context,
                                                  const jobq::admin::GetStatusRequest* request,
                                                  jobq::admin::GetStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<const jobq::admin::GetStatusResponse> latest = control_->FetchStatus();
  if (latest == nullptr) {
    latest = board_->Latest();
  }
  if (latest == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "the broker is still starting; try again in a moment"));
    return reactor;
  }
  *response = *latest;
  response->set_version(version_);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::Shutdown(grpc::CallbackServerContext* context,
                                                 const jobq::admin::ShutdownRequest* request,
                                                 jobq::admin::ShutdownResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool drain = request->mode() != jobq::admin::ShutdownRequest::MODE_NOW;
  absl::StatusOr<uint32_t> draining = control_->Shutdown(drain);
  if (!draining.ok()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(draining.status().message())));
    return reactor;
  }
  response->set_workers_draining(*draining);
  response->set_message(
      !drain ? "the broker stops now; workers reconnect when a broker is back"
      : *draining == 0
          ? "no worker to drain: the broker stops now"
          : "every queue got a sentinel; the broker stops once its " + std::to_string(*draining) +
                " workers have finished what they hold");
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListJobs(grpc::CallbackServerContext* context,
                                                 const jobq::admin::ListJobsRequest* request,
                                                 jobq::admin::ListJobsResponse* response) {
  return Answer(context, *request, response, NormalizeListJobs,
                [this](const auto& checked) { return control_->ListJobs(checked); });
}

grpc::ServerUnaryReactor* AdminService::GetJob(grpc::CallbackServerContext* context,
                                               const jobq::admin::GetJobRequest* request,
                                               jobq::admin::JobInfo* response) {
  return Answer(context, *request, response, NormalizeGetJob,
                [this](const auto& checked) { return control_->GetJob(checked); });
}

grpc::ServerUnaryReactor* AdminService::RetryJobs(grpc::CallbackServerContext* context,
                                                  const jobq::admin::RetryJobsRequest* request,
                                                  jobq::admin::RetryJobsResponse* response) {
  return Answer(context, *request, response, NormalizeRetryJobs,
                [this](const auto& checked) { return control_->RetryJobs(checked); });
}

AdminServer::AdminServer(const StatusBoard* board, BrokerControl* control, std::string version)
    : service_(board, control, std::move(version)) {}

AdminServer::~AdminServer() { Stop(); }

absl::Status AdminServer::Start(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError("admin address \"" + address +
                                      "\" is not HOST:PORT (e.g. 127.0.0.1:50051)");
  }
  int selected_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected_port == 0) {
    server_.reset();
    return absl::UnavailableError("cannot listen for admin RPCs on " + address +
                                  " (in use? choose --admin)");
  }
  bound_address_ = address.substr(0, colon) + ":" + std::to_string(selected_port);
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_.reset();
  }
}

}  // namespace jobq::broker::admin
