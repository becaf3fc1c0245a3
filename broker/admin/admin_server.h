#pragma once
// AdminServer: the broker's gRPC admin service (proto/jobq/admin.proto) on
// its own threads. It never touches the loop's state: it asks the loop
// through a BrokerControl (the loop's mailbox) and, when the loop does not
// answer a status request in time, falls back to the last snapshot on the
// board. The job RPCs have nothing to fall back on: they check their
// request here (broker/admin/job_requests.h), so the loop only sees
// well-formed ones, and answer UNAVAILABLE when the loop does not answer.
// A WatchStatus stream has a thread of its own that fetches a snapshot
// every interval and writes it (at most kMaxWatches streams at once); the
// stream ends when the client cancels or Stop() is called.
// Start and Stop are called from one thread (the broker's
// main thread); the RPCs run on gRPC's threads.

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "broker/admin/broker_control.h"
#include "broker/admin/status_board.h"
#include "jobq/admin.grpc.pb.h"

namespace jobq::broker::admin {

class AdminService final : public jobq::admin::Admin::CallbackService {
 public:
  AdminService(const StatusBoard* board, BrokerControl* control, std::string version)
      : board_(board), control_(control), version_(std::move(version)) {}

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

  // Ends every WatchStatus stream (with OK) and waits, up to `timeout`,
  // until their threads are gone. Called by AdminServer::Stop before the
  // server shuts down; no new stream starts afterwards.
  void StopWatches(std::chrono::milliseconds timeout);

  static constexpr size_t kMaxWatches = 64;

  // The status as of now: from the loop, else the last snapshot; null
  // when there is neither. Stamped with the version. Any thread.
  std::shared_ptr<const jobq::admin::GetStatusResponse> CurrentStatus();

 private:
  friend class StatusWatch;

  const StatusBoard* board_;
  BrokerControl* control_;
  std::string version_;
  // Guards the fields below and every StatusWatch's state; one condition
  // variable wakes all streams (there are few).
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watches_stopping_ = false;
  size_t watches_ = 0;
};

class AdminServer {
 public:
  // `board` and `control` must outlive the server.
  AdminServer(const StatusBoard* board, BrokerControl* control, std::string version);
  ~AdminServer();

  // Listens on `address` (host:port; port 0 picks a free one). Also serves
  // grpc.health.v1.Health (NOT_SERVING until SetServing(true)) and server
  // reflection, so generic gRPC tools work.
  [[nodiscard]] absl::Status Start(const std::string& address);
  // "host:port" actually listened on.
  const std::string& address() const { return bound_address_; }
  // What Health/Check answers, for the server ("") and jobq.admin.Admin:
  // SERVING once the loop runs, NOT_SERVING when the broker shuts down.
  // Thread-safe; does nothing before Start() or after Stop().
  void SetServing(bool serving);
  void Stop();

 private:
  AdminService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_address_;
};

}  // namespace jobq::broker::admin
