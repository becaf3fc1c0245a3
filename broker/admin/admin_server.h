#pragma once
// AdminServer: the broker's gRPC admin service (proto/jobq/admin.proto) on
// its own threads. It never touches the loop's state: it asks the loop
// through a BrokerControl (the loop's mailbox) and, when the loop does not
// answer a status request in time, falls back to the last snapshot on the
// board. The job RPCs have nothing to fall back on: they check their
// request here (broker/admin/job_requests.h), so the loop only sees
// well-formed ones, and answer UNAVAILABLE when the loop does not answer.
// Start and Stop are called from one thread (the broker's
// main thread); the RPCs run on gRPC's threads.

#include <grpcpp/grpcpp.h>

#include <memory>
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

 private:
  const StatusBoard* board_;
  BrokerControl* control_;
  std::string version_;
};

class AdminServer {
 public:
  // `board` and `control` must outlive the server.
  AdminServer(const StatusBoard* board, BrokerControl* control, std::string version);
  ~AdminServer();

  // Listens on `address` (host:port; port 0 picks a free one).
  [[nodiscard]] absl::Status Start(const std::string& address);
  // "host:port" actually listened on.
  const std::string& address() const { return bound_address_; }
  void Stop();

 private:
  AdminService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_address_;
};

}  // namespace jobq::broker::admin
