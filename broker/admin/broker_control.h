#pragma once
// BrokerControl: what the admin service may ask of the broker's loop. The
// loop owns all state; an implementation posts each call to the loop as a
// task and returns at once: `reply` runs later, exactly once, on whatever
// thread has the answer (the loop's, or the caller's when the loop has
// stopped). No gRPC thread ever waits for the loop. Implementations are
// thread-safe: gRPC threads call them concurrently.

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::admin {

template <typename Response>
using Reply = std::function<void(absl::StatusOr<Response>)>;

class BrokerControl {
 public:
  virtual ~BrokerControl() = default;

  // The status as of now. UNAVAILABLE when the loop has stopped.
  virtual void FetchStatus(Reply<std::shared_ptr<const jobq::admin::GetStatusResponse>> reply) = 0;

  // Shutdown(drain) or Shutdown(now); answers how many workers are left to
  // drain. UNAVAILABLE when the loop has stopped.
  virtual void Shutdown(bool drain, Reply<uint32_t> reply) = 0;

  // The job queries and commands. Requests arrive checked and with ids
  // (and page_after) as 16 bytes and a resolved state enum. Errors carry
  // the code the RPC returns: NOT_FOUND (GetJob of an unknown job),
  // UNAVAILABLE (the loop has stopped), INTERNAL (the store failed).
  virtual void ListJobs(const jobq::admin::ListJobsRequest& request,
                        Reply<jobq::admin::ListJobsResponse> reply) = 0;
  virtual void GetJob(const jobq::admin::GetJobRequest& request,
                      Reply<jobq::admin::JobInfo> reply) = 0;
  // Answered once the retries are committed.
  virtual void RetryJobs(const jobq::admin::RetryJobsRequest& request,
                         Reply<jobq::admin::RetryJobsResponse> reply) = 0;

  // Queues, workers and the operator's commands; requests arrive checked
  // (names not empty, ids as 16 bytes). Errors as above, plus NOT_FOUND (no
  // such queue or worker) and FAILED_PRECONDITION (pause a paused queue,
  // resume one that is not, drain a draining worker). Cancels and purges
  // are answered once committed.
  virtual void ListQueues(const jobq::admin::ListQueuesRequest& request,
                          Reply<jobq::admin::ListQueuesResponse> reply) = 0;
  virtual void ListWorkers(const jobq::admin::ListWorkersRequest& request,
                           Reply<jobq::admin::ListWorkersResponse> reply) = 0;
  virtual void CancelJobs(const jobq::admin::CancelJobsRequest& request,
                          Reply<jobq::admin::CancelJobsResponse> reply) = 0;
  virtual void PurgeQueue(const jobq::admin::PurgeQueueRequest& request,
                          Reply<jobq::admin::PurgeQueueResponse> reply) = 0;
  virtual void PauseQueue(const jobq::admin::PauseQueueRequest& request,
                          Reply<jobq::admin::PauseQueueResponse> reply) = 0;
  virtual void ResumeQueue(const jobq::admin::ResumeQueueRequest& request,
                           Reply<jobq::admin::ResumeQueueResponse> reply) = 0;
  virtual void DrainWorker(const jobq::admin::DrainWorkerRequest& request,
                           Reply<jobq::admin::DrainWorkerResponse> reply) = 0;

  // Schedules; names arrive checked (not empty). Errors as the RPCs in
  // admin.proto say; changes are answered once committed.
  virtual void AddSchedule(const jobq::admin::AddScheduleRequest& request,
                           Reply<jobq::admin::ScheduleInfo> reply) = 0;
  virtual void ListSchedules(const jobq::admin::ListSchedulesRequest& request,
                             Reply<jobq::admin::ListSchedulesResponse> reply) = 0;
  virtual void GetSchedule(const jobq::admin::ScheduleRequest& request,
                           Reply<jobq::admin::ScheduleInfo> reply) = 0;
  virtual void PauseSchedule(const jobq::admin::ScheduleRequest& request, bool pause,
                             Reply<jobq::admin::ScheduleInfo> reply) = 0;
  virtual void RemoveSchedule(const jobq::admin::ScheduleRequest& request,
                              Reply<jobq::admin::RemoveScheduleResponse> reply) = 0;
  virtual void RunSchedule(const jobq::admin::ScheduleRequest& request,
                           Reply<jobq::admin::RunScheduleResponse> reply) = 0;
  // Limits: requests arrive with a queue name. SetLimit and ClearLimit are
  // answered once committed; INVALID_ARGUMENT (a bad rate, burst or cap),
  // RESOURCE_EXHAUSTED (too many limits), NOT_FOUND (clear: no such limit).
  virtual void SetLimit(const jobq::admin::SetLimitRequest& request,
                        Reply<jobq::admin::SetLimitResponse> reply) = 0;
  virtual void ClearLimit(const jobq::admin::ClearLimitRequest& request,
                          Reply<jobq::admin::ClearLimitResponse> reply) = 0;
  virtual void ListLimits(const jobq::admin::ListLimitsRequest& request,
                          Reply<jobq::admin::ListLimitsResponse> reply) = 0;
  // Workflows: requests arrive with ids (and page_after) as 16 bytes, a
  // valid lower-case state_name and limits within bounds. NOT_FOUND (no
  // such workflow), FAILED_PRECONDITION (cancel: every node has finished);
  // CancelWorkflow is answered once committed.
  virtual void GetWorkflow(const jobq::admin::GetWorkflowRequest& request,
                           Reply<jobq::admin::WorkflowInfo> reply) = 0;
  virtual void ListWorkflows(const jobq::admin::ListWorkflowsRequest& request,
                             Reply<jobq::admin::ListWorkflowsResponse> reply) = 0;
  virtual void CancelWorkflow(const jobq::admin::CancelWorkflowRequest& request,
                              Reply<jobq::admin::CancelWorkflowResponse> reply) = 0;
};

}  // namespace jobq::broker::admin
