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

  // Queues, workers and the operator's commands; requests arrive checked
  // (names not empty, ids as 16 bytes). Errors as above, plus NOT_FOUND (no
  // such queue or worker) and FAILED_PRECONDITION (pause a paused queue,
  // resume one that is not, drain a draining worker).
  virtual absl::StatusOr<jobq::admin::ListQueuesResponse> ListQueues(
      const jobq::admin::ListQueuesRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::ListWorkersResponse> ListWorkers(
      const jobq::admin::ListWorkersRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::CancelJobsResponse> CancelJobs(
      const jobq::admin::CancelJobsRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::PurgeQueueResponse> PurgeQueue(
      const jobq::admin::PurgeQueueRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::PauseQueueResponse> PauseQueue(
      const jobq::admin::PauseQueueRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::ResumeQueueResponse> ResumeQueue(
      const jobq::admin::ResumeQueueRequest& request) = 0;
  virtual absl::StatusOr<jobq::admin::DrainWorkerResponse> DrainWorker(
      const jobq::admin::DrainWorkerRequest& request) = 0;
};

}  // namespace jobq::broker::admin
