#pragma once
// AdminServer: the broker's gRPC admin service (proto/jobq/admin.proto) on
// gRPC's callback API. It never touches the loop's state: each RPC checks
// its request here (broker/admin/job_requests.h), so the loop only sees
// well-formed ones, hands it to a BrokerControl (which posts it to the
// loop) and returns; the control's reply finishes the call. No gRPC thread
// waits for the loop. Status falls back to the last snapshot on the board
// when the loop has stopped; the other RPCs answer UNAVAILABLE then.
// A WatchStatus stream has a thread of its own that fetches a snapshot
// every interval and writes it (at most kMaxWatches streams at once); the
// stream ends when the client cancels or Stop() is called. A WatchJob
// stream likewise (broker/admin/job_watch.cpp): it asks the loop for its
// job every interval, a lookup by id, so the loop's cost is one lookup per
// stream per interval however often the job's worker reports.
// Start and Stop are called from one thread (the broker's
// main thread); the RPCs run on gRPC's threads.

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "broker/admin/admin_auth.h"
#include "broker/admin/broker_control.h"
#include "broker/admin/status_board.h"
#include "jobq/admin.grpc.pb.h"

namespace jobq::broker::admin {

class AdminService final : public jobq::admin::Admin::CallbackService {
 public:
  // `auth` checks every call's token (an AdminAuth without tokens lets
  // every call through); it must outlive the service.
  AdminService(const StatusBoard* board, BrokerControl* control, std::string version,
               AdminAuth* auth)
      : board_(board), control_(control), version_(std::move(version)), auth_(auth) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const jobq::admin::GetStatusRequest* request,
                                      jobq::admin::GetStatusResponse* response) override;
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* context,
                                     const jobq::admin::ShutdownRequest* request,
                                     jobq::admin::ShutdownResponse* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const jobq::admin::ListJobsRequest* request,
                                     jobq::admin::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const jobq::admin::GetJobRequest* request,
                                   jobq::admin::JobInfo* response) override;
  grpc::ServerUnaryReactor* RetryJobs(grpc::CallbackServerContext* context,
                                      const jobq::admin::RetryJobsRequest* request,
                                      jobq::admin::RetryJobsResponse* response) override;
  grpc::ServerWriteReactor<jobq::admin::GetStatusResponse>* WatchStatus(
      grpc::CallbackServerContext* context,
      const jobq::admin::WatchStatusRequest* request) override;
  grpc::ServerUnaryReactor* ListQueues(grpc::CallbackServerContext* context,
                                       const jobq::admin::ListQueuesRequest* request,
                                       jobq::admin::ListQueuesResponse* response) override;
  grpc::ServerUnaryReactor* ListWorkers(grpc::CallbackServerContext* context,
                                        const jobq::admin::ListWorkersRequest* request,
                                        jobq::admin::ListWorkersResponse* response) override;
  grpc::ServerUnaryReactor* CancelJobs(grpc::CallbackServerContext* context,
                                       const jobq::admin::CancelJobsRequest* request,
                                       jobq::admin::CancelJobsResponse* response) override;
  grpc::ServerUnaryReactor* PurgeQueue(grpc::CallbackServerContext* context,
                                       const jobq::admin::PurgeQueueRequest* request,
                                       jobq::admin::PurgeQueueResponse* response) override;
  grpc::ServerUnaryReactor* PauseQueue(grpc::CallbackServerContext* context,
                                       const jobq::admin::PauseQueueRequest* request,
                                       jobq::admin::PauseQueueResponse* response) override;
  grpc::ServerUnaryReactor* ResumeQueue(grpc::CallbackServerContext* context,
                                        const jobq::admin::ResumeQueueRequest* request,
                                        jobq::admin::ResumeQueueResponse* response) override;
  grpc::ServerUnaryReactor* DrainWorker(grpc::CallbackServerContext* context,
                                        const jobq::admin::DrainWorkerRequest* request,
                                        jobq::admin::DrainWorkerResponse* response) override;
  grpc::ServerUnaryReactor* SetLimit(grpc::CallbackServerContext* context,
                                     const jobq::admin::SetLimitRequest* request,
                                     jobq::admin::SetLimitResponse* response) override;
  grpc::ServerUnaryReactor* ClearLimit(grpc::CallbackServerContext* context,
                                       const jobq::admin::ClearLimitRequest* request,
                                       jobq::admin::ClearLimitResponse* response) override;
  grpc::ServerUnaryReactor* ListLimits(grpc::CallbackServerContext* context,
                                       const jobq::admin::ListLimitsRequest* request,
                                       jobq::admin::ListLimitsResponse* response) override;

  // Schedules (schedule_rpcs.cpp).
  grpc::ServerUnaryReactor* AddSchedule(grpc::CallbackServerContext* context,
                                        const jobq::admin::AddScheduleRequest* request,
                                        jobq::admin::ScheduleInfo* response) override;
  grpc::ServerUnaryReactor* ListSchedules(grpc::CallbackServerContext* context,
                                          const jobq::admin::ListSchedulesRequest* request,
                                          jobq::admin::ListSchedulesResponse* response) override;
  grpc::ServerUnaryReactor* GetSchedule(grpc::CallbackServerContext* context,
                                        const jobq::admin::ScheduleRequest* request,
                                        jobq::admin::ScheduleInfo* response) override;
  grpc::ServerUnaryReactor* PauseSchedule(grpc::CallbackServerContext* context,
                                          const jobq::admin::ScheduleRequest* request,
                                          jobq::admin::ScheduleInfo* response) override;
  grpc::ServerUnaryReactor* ResumeSchedule(grpc::CallbackServerContext* context,
                                           const jobq::admin::ScheduleRequest* request,
                                           jobq::admin::ScheduleInfo* response) override;
  grpc::ServerUnaryReactor* RemoveSchedule(grpc::CallbackServerContext* context,
                                           const jobq::admin::ScheduleRequest* request,
                                           jobq::admin::RemoveScheduleResponse* response) override;
  grpc::ServerUnaryReactor* RunSchedule(grpc::CallbackServerContext* context,
                                        const jobq::admin::ScheduleRequest* request,
                                        jobq::admin::RunScheduleResponse* response) override;

  grpc::ServerWriteReactor<jobq::admin::JobInfo>* WatchJob(
      grpc::CallbackServerContext* context, const jobq::admin::WatchJobRequest* request) override;

  // Workflows (workflow_rpcs.cpp).
  grpc::ServerUnaryReactor* GetWorkflow(grpc::CallbackServerContext* context,
                                        const jobq::admin::GetWorkflowRequest* request,
                                        jobq::admin::WorkflowInfo* response) override;
  grpc::ServerUnaryReactor* ListWorkflows(grpc::CallbackServerContext* context,
                                          const jobq::admin::ListWorkflowsRequest* request,
                                          jobq::admin::ListWorkflowsResponse* response) override;
  grpc::ServerUnaryReactor* CancelWorkflow(grpc::CallbackServerContext* context,
                                           const jobq::admin::CancelWorkflowRequest* request,
                                           jobq::admin::CancelWorkflowResponse* response) override;

  // Ends every WatchStatus and WatchJob stream (with OK) and waits, up to `timeout`,
  // until their threads are gone. Called by AdminServer::Stop before the
  // server shuts down; no new stream starts afterwards.
  void StopWatches(std::chrono::milliseconds timeout);

  static constexpr size_t kMaxWatches = 64;

  using StatusReply = std::function<void(std::shared_ptr<const jobq::admin::GetStatusResponse>)>;
  // The status as of now, stamped with the version: from the loop, else the
  // last snapshot; null when there is neither. `reply` runs on the loop's
  // thread, or on this one when the loop has stopped. Any thread.
  void CurrentStatus(StatusReply reply);
  // Same, waiting up to `timeout` for the loop before taking the last
  // snapshot: for a thread of our own (a WatchStatus stream's), never gRPC's.
  std::shared_ptr<const jobq::admin::GetStatusResponse> CurrentStatusWithin(
      std::chrono::milliseconds timeout);

 private:
  // `latest` stamped; the board's snapshot when it is null.
  std::shared_ptr<const jobq::admin::GetStatusResponse> Stamp(
      std::shared_ptr<const jobq::admin::GetStatusResponse> latest) const;

  friend class StatusWatch;
  friend class JobWatch;

  const StatusBoard* board_;
  BrokerControl* control_;
  std::string version_;
  AdminAuth* auth_;
  // Guards the fields below and every StatusWatch's state; one condition
  // variable wakes all streams (there are few).
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watches_stopping_ = false;
  size_t watches_ = 0;
};

class AdminServer {
 public:
  // `board`, `control` and `auth` must outlive the server.
  AdminServer(const StatusBoard* board, BrokerControl* control, std::string version,
              AdminAuth* auth);
  ~AdminServer();

  // Listens on `address` (host:port; port 0 picks a free one) with
  // `credentials` (TLS, admin_tls.h), or in plaintext when null. Also
  // serves grpc.health.v1.Health (NOT_SERVING until SetServing(true)) and
  // server reflection, so generic gRPC tools work; neither needs a token.
  [[nodiscard]] absl::Status Start(const std::string& address,
                                   std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);
  // Also serves grpc.health.v1.Health, and nothing else, in plaintext on
  // `address` (jobq-broker --health): Kubernetes' gRPC probes can do
  // neither TLS nor tokens. Call after Start().
  [[nodiscard]] absl::Status StartHealth(const std::string& address);
  // "host:port" actually listened on.
  const std::string& address() const { return bound_address_; }
  // Same for StartHealth; empty when not started.
  const std::string& health_address() const { return health_address_; }
  // What Health/Check answers (on both ports), for the server ("") and
  // jobq.admin.Admin: SERVING once the loop runs, NOT_SERVING when the
  // broker shuts down. Thread-safe; does nothing before Start() or after Stop().
  void SetServing(bool serving);
  void Stop();

 private:
  AdminService service_;
  std::unique_ptr<grpc::Server> server_;
  // Answers every method but health's on the --health port: a server needs
  // one service of its own before gRPC adds its default health service.
  class OnlyHealth final : public grpc::CallbackGenericService {
   public:
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override;
  };
  OnlyHealth only_health_;
  std::unique_ptr<grpc::Server> health_server_;
  std::string bound_address_;
  std::string health_address_;
};

}  // namespace jobq::broker::admin
