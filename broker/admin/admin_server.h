#pragma once
// AdminServer: the broker's gRPC admin service (proto/jobq/admin.proto) on
// its own threads. It never touches the loop's state: it asks the loop for a
// fresh status through `fetch_status` (the loop's mailbox) and, when the loop
// does not answer in time, falls back to the last snapshot on the board. Start and Stop are called from one thread (the broker's
// main thread); the RPCs run on gRPC's threads.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "broker/admin/status_board.h"
#include "jobq/admin.grpc.pb.h"

namespace jobq::broker::admin {

// Returns the status as of now, or nullptr when the loop cannot say.
// Called on gRPC threads.
using StatusFetcher = std::function<std::shared_ptr<const jobq::admin::GetStatusResponse>()>;

class AdminService final : public jobq::admin::Admin::CallbackService {
 public:
  AdminService(const StatusBoard* board, StatusFetcher fetch_status, std::string version)
      : board_(board), fetch_status_(std::move(fetch_status)), version_(std::move(version)) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const jobq::admin::GetStatusRequest* request,
                                      jobq::admin::GetStatusResponse* response) override;

 private:
  const StatusBoard* board_;
  StatusFetcher fetch_status_;
  std::string version_;
};

class AdminServer {
 public:
  // `board`, and whatever `fetch_status` uses, must outlive the server.
  AdminServer(const StatusBoard* board, StatusFetcher fetch_status, std::string version);
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
