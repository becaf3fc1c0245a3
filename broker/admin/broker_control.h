#pragma once
// BrokerControl: what the admin service may ask of the broker's loop. The
// loop owns all state; an implementation forwards each call to it by
// message (broker/net's mailbox) and waits for the answer. Implementations
// are thread-safe: gRPC threads call them concurrently.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::admin {

class BrokerControl {
 public:
  virtual ~BrokerControl() = default;

  // The status as of now; nullptr when the loop cannot say in time.
  virtual std::shared_ptr<const jobq::admin::GetStatusResponse> FetchStatus() = 0;

  // Shutdown(drain) or Shutdown(now); returns how many workers are left to
  // drain. UNAVAILABLE when the loop did not answer.
  virtual absl::StatusOr<uint32_t> Shutdown(bool drain) = 0;

  // The job queries and commands. Requests arrive checked and with ids
  // (and page_after) as 16 bytes and a resolved state enum. Errors carry
  // the code the RPC returns: NOT_FOUND (GetJob of an unknown job),
  // UNAVAILABLE (the loop did not answer), INTERNAL (the store failed).
  virtual absl::StatusOr<jobq::admin::ListJobsResponse> ListJobs(
      const jobq::admin::ListJobsRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::JobInfo> GetJob(
      const jobq::admin::GetJobRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::RetryJobsResponse> RetryJobs(
      const jobq::admin::RetryJobsRequest& request) = 0;
};

}  // namespace jobq::broker::admin
