#include "broker/admin/admin_server.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "broker/admin/job_requests.h"
#include "broker/admin/unary_answer.h"
#include "common/log.h"

namespace jobq::broker::admin {

std::shared_ptr<const jobq::admin::GetStatusResponse> AdminService::Stamp(
    std::shared_ptr<const jobq::admin::GetStatusResponse> latest) const {
  if (latest == nullptr) {
    latest = board_->Latest();  // the loop has stopped or is slow
  }
  if (latest == nullptr) {
    return nullptr;
  }
  auto stamped = std::make_shared<jobq::admin::GetStatusResponse>(*latest);
  stamped->set_version(version_);
  auth_->FillRefusals(stamped->mutable_admin_auth_refused());
  return stamped;
}

void AdminService::CurrentStatus(StatusReply reply) {
  control_->FetchStatus(
      [this, reply = std::move(reply)](
          absl::StatusOr<std::shared_ptr<const jobq::admin::GetStatusResponse>> fetched) {
        reply(Stamp(fetched.ok() ? *std::move(fetched) : nullptr));
      });
}

std::shared_ptr<const jobq::admin::GetStatusResponse> AdminService::CurrentStatusWithin(
    std::chrono::milliseconds timeout) {
  // The promise outlives a reply that comes after the wait gave up.
  auto fetched =
      std::make_shared<std::promise<std::shared_ptr<const jobq::admin::GetStatusResponse>>>();
  std::future<std::shared_ptr<const jobq::admin::GetStatusResponse>> answer = fetched->get_future();
  control_->FetchStatus(
      [fetched](absl::StatusOr<std::shared_ptr<const jobq::admin::GetStatusResponse>> status) {
        fetched->set_value(status.ok() ? *std::move(status) : nullptr);
      });
  if (answer.wait_for(timeout) != std::future_status::ready) {
    return Stamp(nullptr);
  }
  return Stamp(answer.get());
}

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* context,
                                                  const jobq::admin::GetStatusRequest* request,
                                                  jobq::admin::GetStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status refused = auth_->Check(*context, "GetStatus"); !refused.ok()) {
    reactor->Finish(refused);
    return reactor;
  }
  CurrentStatus([reactor, response](std::shared_ptr<const jobq::admin::GetStatusResponse> latest) {
    if (latest == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "the broker is still starting; try again in a moment"));
      return;
    }
    *response = *latest;
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

// One WatchStatus stream. Its thread fetches a snapshot, writes it, waits
// for the write to complete, then for the interval; it ends the stream
// when the client cancels (CANCELLED), a write fails, or the service stops
// (OK). gRPC deletes nothing: OnDone joins the thread and deletes this.
class StatusWatch final : public grpc::ServerWriteReactor<jobq::admin::GetStatusResponse> {
 public:
  // A loop busy with a burst answers within a few iterations; one that
  // does not is covered by the last snapshot.
  static constexpr std::chrono::milliseconds kStatusTimeout{500};

  StatusWatch(AdminService* service, std::chrono::milliseconds interval)
      : service_(service), interval_(interval) {
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(service_->watch_mutex_);
    writing_ = false;
    write_failed_ = !ok;
    service_->watch_wake_.notify_all();
  }

  void OnCancel() override {
    std::lock_guard lock(service_->watch_mutex_);
    cancelled_ = true;
    service_->watch_wake_.notify_all();
  }

  void OnDone() override {
    // Finish, the thread's last act, may run this on that very thread.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
    {
      std::lock_guard lock(service_->watch_mutex_);
      --service_->watches_;
      service_->watch_wake_.notify_all();
    }
    delete this;
  }

 private:
  void Run() {
    grpc::Status end = grpc::Status::OK;
    std::unique_lock lock(service_->watch_mutex_);
    while (true) {
      if (cancelled_ || write_failed_) {
        end = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
        break;
      }
      if (service_->watches_stopping_) {
        break;  // the broker stops: a clean end of the stream
      }
      lock.unlock();
      // This stream's own thread, not gRPC's: it may wait for the loop.
      std::shared_ptr<const jobq::admin::GetStatusResponse> status =
          service_->CurrentStatusWithin(kStatusTimeout);
      lock.lock();
      if (status != nullptr) {
        snapshot_ = *status;
        writing_ = true;
        // Not under the lock: gRPC may run OnWriteDone on any thread.
        lock.unlock();
        StartWrite(&snapshot_);
        lock.lock();
        // OnWriteDone comes even when the call is cancelled meanwhile.
        service_->watch_wake_.wait(lock, [this] { return !writing_; });
        if (write_failed_) {
          continue;
        }
      }
      const auto next = std::chrono::steady_clock::now() + interval_;
      service_->watch_wake_.wait_until(
          lock, next, [this] { return cancelled_ || service_->watches_stopping_; });
    }
    lock.unlock();
    Finish(end);  // may delete this (OnDone): touch nothing after it
  }

  AdminService* service_;
  const std::chrono::milliseconds interval_;
  std::thread thread_;
  jobq::admin::GetStatusResponse snapshot_;  // the write in flight
  // Guarded by service_->watch_mutex_.
  bool writing_ = false;
  bool write_failed_ = false;
  bool cancelled_ = false;
};

grpc::ServerWriteReactor<jobq::admin::GetStatusResponse>* AdminService::WatchStatus(
    grpc::CallbackServerContext* context, const jobq::admin::WatchStatusRequest* request) {
  // A reactor that only says why not.
  class Refusal final : public grpc::ServerWriteReactor<jobq::admin::GetStatusResponse> {
   public:
    explicit Refusal(grpc::Status status) { Finish(std::move(status)); }
    void OnDone() override { delete this; }
  };
  if (grpc::Status refused = auth_->Check(*context, "WatchStatus"); !refused.ok()) {
    return new Refusal(std::move(refused));
  }
  {
    std::lock_guard lock(watch_mutex_);
    if (!watches_stopping_ && watches_ < kMaxWatches) {
      ++watches_;
      return new StatusWatch(this,
                             std::chrono::milliseconds(WatchIntervalMs(request->interval_ms())));
    }
  }
  std::lock_guard lock(watch_mutex_);
  return new Refusal(watches_stopping_
                         ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the broker is stopping")
                         : grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                        "too many WatchStatus streams (at most " +
                                            std::to_string(kMaxWatches) +
                                            "); close one, or poll GetStatus"));
}

void AdminService::StopWatches(std::chrono::milliseconds timeout) {
  std::unique_lock lock(watch_mutex_);
  watches_stopping_ = true;
  watch_wake_.notify_all();
  watch_wake_.wait_for(lock, timeout, [this] { return watches_ == 0; });
}

grpc::ServerUnaryReactor* AdminService::ListQueues(grpc::CallbackServerContext* context,
                                                   const jobq::admin::ListQueuesRequest* request,
                                                   jobq::admin::ListQueuesResponse* response) {
  return Answer(
      auth_, "ListQueues", context, *request, response, [](auto*) { return absl::OkStatus(); },
      [this](const auto& checked, auto reply) { control_->ListQueues(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::ListWorkers(grpc::CallbackServerContext* context,
                                                    const jobq::admin::ListWorkersRequest* request,
                                                    jobq::admin::ListWorkersResponse* response) {
  return Answer(
      auth_, "ListWorkers", context, *request, response, [](auto*) { return absl::OkStatus(); },
      [this](const auto& checked, auto reply) {
        control_->ListWorkers(checked, std::move(reply));
      });
}

grpc::ServerUnaryReactor* AdminService::CancelJobs(grpc::CallbackServerContext* context,
                                                   const jobq::admin::CancelJobsRequest* request,
                                                   jobq::admin::CancelJobsResponse* response) {
  return Answer(
      auth_, "CancelJobs", context, *request, response, NormalizeCancelJobs,
      [this](const auto& checked, auto reply) { control_->CancelJobs(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::PurgeQueue(grpc::CallbackServerContext* context,
                                                   const jobq::admin::PurgeQueueRequest* request,
                                                   jobq::admin::PurgeQueueResponse* response) {
  return Answer(
      auth_, "PurgeQueue", context, *request, response,
      [](jobq::admin::PurgeQueueRequest* checked) { return CheckName(checked->queue(), "queue"); },
      [this](const auto& checked, auto reply) { control_->PurgeQueue(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::PauseQueue(grpc::CallbackServerContext* context,
                                                   const jobq::admin::PauseQueueRequest* request,
                                                   jobq::admin::PauseQueueResponse* response) {
  return Answer(
      auth_, "PauseQueue", context, *request, response,
      [](jobq::admin::PauseQueueRequest* checked) { return CheckName(checked->queue(), "queue"); },
      [this](const auto& checked, auto reply) { control_->PauseQueue(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::ResumeQueue(grpc::CallbackServerContext* context,
                                                    const jobq::admin::ResumeQueueRequest* request,
                                                    jobq::admin::ResumeQueueResponse* response) {
  return Answer(
      auth_, "ResumeQueue", context, *request, response,
      [](jobq::admin::ResumeQueueRequest* checked) { return CheckName(checked->queue(), "queue"); },
      [this](const auto& checked, auto reply) {
        control_->ResumeQueue(checked, std::move(reply));
      });
}

grpc::ServerUnaryReactor* AdminService::DrainWorker(grpc::CallbackServerContext* context,
                                                    const jobq::admin::DrainWorkerRequest* request,
                                                    jobq::admin::DrainWorkerResponse* response) {
  return Answer(
      auth_, "DrainWorker", context, *request, response,
      [](jobq::admin::DrainWorkerRequest* checked) {
        return CheckName(checked->name(), "worker name");
      },
      [this](const auto& checked, auto reply) {
        control_->DrainWorker(checked, std::move(reply));
      });
}

grpc::ServerUnaryReactor* AdminService::Shutdown(grpc::CallbackServerContext* context,
                                                 const jobq::admin::ShutdownRequest* request,
                                                 jobq::admin::ShutdownResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status refused = auth_->Check(*context, "Shutdown"); !refused.ok()) {
    reactor->Finish(refused);
    return reactor;
  }
  const bool drain = request->mode() != jobq::admin::ShutdownRequest::MODE_NOW;
  control_->Shutdown(drain, [reactor, response, drain](absl::StatusOr<uint32_t> draining) {
    if (!draining.ok()) {
      reactor->Finish(ToGrpc(draining.status()));
      return;
    }
    response->set_workers_draining(*draining);
    response->set_message(
        !drain           ? "the broker stops now; workers reconnect when a broker is back"
        : *draining == 0 ? "no worker to drain: the broker stops now"
                         : "every queue got a sentinel; the broker stops once its " +
                               std::to_string(*draining) + " workers have finished what they hold");
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListJobs(grpc::CallbackServerContext* context,
                                                 const jobq::admin::ListJobsRequest* request,
                                                 jobq::admin::ListJobsResponse* response) {
  return Answer(
      auth_, "ListJobs", context, *request, response, NormalizeListJobs,
      [this](const auto& checked, auto reply) { control_->ListJobs(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::GetJob(grpc::CallbackServerContext* context,
                                               const jobq::admin::GetJobRequest* request,
                                               jobq::admin::JobInfo* response) {
  return Answer(
      auth_, "GetJob", context, *request, response, NormalizeGetJob,
      [this](const auto& checked, auto reply) { control_->GetJob(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::RetryJobs(grpc::CallbackServerContext* context,
                                                  const jobq::admin::RetryJobsRequest* request,
                                                  jobq::admin::RetryJobsResponse* response) {
  return Answer(
      auth_, "RetryJobs", context, *request, response, NormalizeRetryJobs,
      [this](const auto& checked, auto reply) { control_->RetryJobs(checked, std::move(reply)); });
}

AdminServer::AdminServer(const StatusBoard* board, BrokerControl* control, std::string version,
                         AdminAuth* auth)
    : service_(board, control, std::move(version), auth) {}

AdminServer::~AdminServer() { Stop(); }

absl::Status AdminServer::Start(const std::string& address,
                                std::shared_ptr<grpc::ServerCredentials> credentials) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError("admin address \"" + address +
                                      "\" is not HOST:PORT (e.g. 127.0.0.1:50051)");
  }
  // Both act on the next ServerBuilder: the health service answers from
  // SetServing; reflection lets tools such as grpcurl list and call the
  // RPCs without the .proto files.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // gRPC's own messages (errors only, unless GRPC_VERBOSITY says more)
  // become log lines like every other, not free text on stderr.
  gpr_set_log_function([](gpr_log_func_args* args) {
    const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kError
                           : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                     : LogLevel::kDebug;
    if (level < GetLogLevel()) {
      return;
    }
    LogLine(level, "grpc", "message")
        .Kv("file", args->file)
        .Kv("line", args->line)
        .Kv("text", args->message);
  });
  int selected_port = 0;
  grpc::ServerBuilder builder;
  const bool tls = credentials != nullptr;
  builder.AddListeningPort(
      address, tls ? std::move(credentials) : grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected_port == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for admin RPCs on ", address,
        tls ? " (in use? choose --admin; or gRPC refused the TLS certificate and key, see "
              "the grpc log line above)"
            : " (in use? choose --admin)"));
  }
  bound_address_ = address.substr(0, colon) + ":" + std::to_string(selected_port);
  // gRPC starts out SERVING; the loop is not running yet.
  server_->GetHealthCheckService()->SetServingStatus(jobq::admin::Admin::service_full_name(),
                                                     false);
  server_->GetHealthCheckService()->SetServingStatus(false);
  return absl::OkStatus();
}

grpc::ServerGenericBidiReactor* AdminServer::OnlyHealth::CreateReactor(
    grpc::GenericCallbackServerContext*) {
  class Refusal final : public grpc::ServerGenericBidiReactor {
   public:
    Refusal() {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "this port (--health) serves only grpc.health.v1; call the admin "
                          "service on --admin"));
    }
    void OnDone() override { delete this; }
  };
  return new Refusal;
}

absl::Status AdminServer::StartHealth(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("health address \"", address, "\" is not HOST:PORT (e.g. 0.0.0.0:50052)"));
  }
  int selected_port = 0;
  grpc::ServerBuilder builder;
  // gRPC adds its default health service (enabled in Start). Reflection
  // would be added too, as it is to every server once enabled; the option
  // below drops it, so that this open port tells nothing but health.
  class HealthOnly final : public grpc::ServerBuilderOption {
   public:
    void UpdateArguments(grpc::ChannelArguments*) override {}
    void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
      plugins->clear();
    }
  };
  builder.SetOption(std::make_unique<HealthOnly>());
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterCallbackGenericService(&only_health_);
  health_server_ = builder.BuildAndStart();
  if (health_server_ == nullptr || selected_port == 0) {
    health_server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot serve gRPC health checks on ", address, " (in use? choose --health)"));
  }
  if (health_server_->GetHealthCheckService() == nullptr) {
    health_server_.reset();
    return absl::InternalError("gRPC did not add its health service to the --health port");
  }
  health_address_ = absl::StrCat(address.substr(0, colon), ":", selected_port);
  health_server_->GetHealthCheckService()->SetServingStatus(jobq::admin::Admin::service_full_name(),
                                                            false);
  health_server_->GetHealthCheckService()->SetServingStatus(false);
  return absl::OkStatus();
}

void AdminServer::SetServing(bool serving) {
  if (server_ != nullptr) {
    // Sets the server's ("") and every named service's status.
    server_->GetHealthCheckService()->SetServingStatus(serving);
  }
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->SetServingStatus(serving);
  }
}

void AdminServer::Stop() {
  if (server_ != nullptr) {
    // Streams end first, cleanly; Shutdown would otherwise wait out its
    // deadline for them and then cancel them.
    service_.StopWatches(std::chrono::seconds(2));
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_.reset();
  }
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    health_server_.reset();
  }
}

grpc::ServerUnaryReactor* AdminService::SetLimit(grpc::CallbackServerContext* context,
                                                 const jobq::admin::SetLimitRequest* request,
                                                 jobq::admin::SetLimitResponse* response) {
  return Answer(
      auth_, "SetLimit", context, *request, response,
      [](jobq::admin::SetLimitRequest* checked) { return CheckName(checked->queue(), "queue"); },
      [this](const auto& checked, auto reply) { control_->SetLimit(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::ClearLimit(grpc::CallbackServerContext* context,
                                                   const jobq::admin::ClearLimitRequest* request,
                                                   jobq::admin::ClearLimitResponse* response) {
  return Answer(
      auth_, "ClearLimit", context, *request, response,
      [](jobq::admin::ClearLimitRequest* checked) { return CheckName(checked->queue(), "queue"); },
      [this](const auto& checked, auto reply) { control_->ClearLimit(checked, std::move(reply)); });
}

grpc::ServerUnaryReactor* AdminService::ListLimits(grpc::CallbackServerContext* context,
                                                   const jobq::admin::ListLimitsRequest* request,
                                                   jobq::admin::ListLimitsResponse* response) {
  return Answer(
      auth_, "ListLimits", context, *request, response, [](auto*) { return absl::OkStatus(); },
      [this](const auto& checked, auto reply) { control_->ListLimits(checked, std::move(reply)); });
}

}  // namespace jobq::broker::admin
