#pragma once
// LoopControl: the admin service's way into the loop. Each call becomes a
// task posted to the loop (BrokerLoop::Post) that answers from the core on
// the loop thread (admin_answers.h) and calls the caller's reply there; a
// command's reply waits for its changes to be committed, like an
// acknowledgement to a client. Nothing is serialised and no thread waits:
// a gRPC handler returns as soon as it has posted.

#include "broker/admin/broker_control.h"
#include "broker/net/broker_loop.h"

namespace jobq::broker::control {

class LoopControl final : public admin::BrokerControl {
 public:
  // `loop` must outlive every call's reply.
  explicit LoopControl(net::BrokerLoop* loop) : loop_(loop) {}

  void FetchStatus(
      admin::Reply<std::shared_ptr<const ::jobq::admin::GetStatusResponse>> reply) override;
  void Shutdown(bool drain, admin::Reply<uint32_t> reply) override;
  void ListJobs(const ::jobq::admin::ListJobsRequest& request,
                admin::Reply<::jobq::admin::ListJobsResponse> reply) override;
  void GetJob(const ::jobq::admin::GetJobRequest& request,
              admin::Reply<::jobq::admin::JobInfo> reply) override;
  void RetryJobs(const ::jobq::admin::RetryJobsRequest& request,
                 admin::Reply<::jobq::admin::RetryJobsResponse> reply) override;
  void ListQueues(const ::jobq::admin::ListQueuesRequest& request,
                  admin::Reply<::jobq::admin::ListQueuesResponse> reply) override;
  void ListWorkers(const ::jobq::admin::ListWorkersRequest& request,
                   admin::Reply<::jobq::admin::ListWorkersResponse> reply) override;
  void CancelJobs(const ::jobq::admin::CancelJobsRequest& request,
                  admin::Reply<::jobq::admin::CancelJobsResponse> reply) override;
  void PurgeQueue(const ::jobq::admin::PurgeQueueRequest& request,
                  admin::Reply<::jobq::admin::PurgeQueueResponse> reply) override;
  void PauseQueue(const ::jobq::admin::PauseQueueRequest& request,
                  admin::Reply<::jobq::admin::PauseQueueResponse> reply) override;
  void ResumeQueue(const ::jobq::admin::ResumeQueueRequest& request,
                   admin::Reply<::jobq::admin::ResumeQueueResponse> reply) override;
  void DrainWorker(const ::jobq::admin::DrainWorkerRequest& request,
                   admin::Reply<::jobq::admin::DrainWorkerResponse> reply) override;
  void SetLimit(const ::jobq::admin::SetLimitRequest& request,
                admin::Reply<::jobq::admin::SetLimitResponse> reply) override;
  void ClearLimit(const ::jobq::admin::ClearLimitRequest& request,
                  admin::Reply<::jobq::admin::ClearLimitResponse> reply) override;
  void ListLimits(const ::jobq::admin::ListLimitsRequest& request,
                  admin::Reply<::jobq::admin::ListLimitsResponse> reply) override;

  // Schedules.
  void AddSchedule(const ::jobq::admin::AddScheduleRequest& request,
                   admin::Reply<::jobq::admin::ScheduleInfo> reply) override;
  void ListSchedules(const ::jobq::admin::ListSchedulesRequest& request,
                     admin::Reply<::jobq::admin::ListSchedulesResponse> reply) override;
  void GetSchedule(const ::jobq::admin::ScheduleRequest& request,
                   admin::Reply<::jobq::admin::ScheduleInfo> reply) override;
  void PauseSchedule(const ::jobq::admin::ScheduleRequest& request, bool pause,
                     admin::Reply<::jobq::admin::ScheduleInfo> reply) override;
  void RemoveSchedule(const ::jobq::admin::ScheduleRequest& request,
                      admin::Reply<::jobq::admin::RemoveScheduleResponse> reply) override;
  void RunSchedule(const ::jobq::admin::ScheduleRequest& request,
                   admin::Reply<::jobq::admin::RunScheduleResponse> reply) override;

  // Workflows.
  void GetWorkflow(const ::jobq::admin::GetWorkflowRequest& request,
                   admin::Reply<::jobq::admin::WorkflowInfo> reply) override;
  void ListWorkflows(const ::jobq::admin::ListWorkflowsRequest& request,
                     admin::Reply<::jobq::admin::ListWorkflowsResponse> reply) override;
  void CancelWorkflow(const ::jobq::admin::CancelWorkflowRequest& request,
                      admin::Reply<::jobq::admin::CancelWorkflowResponse> reply) override;

 private:
  // Posts `answer` (a function of the loop's context giving a
  // StatusOr<Response>); `reply` gets its result, or UNAVAILABLE when the
  // loop has stopped.
  template <typename Response, typename Answer>
  void Ask(Answer answer, admin::Reply<Response> reply);
  // Same, for a command: the reply waits until what `answer` changed is
  // committed. `what` names the change in the error when the commit fails.
  template <typename Response, typename Answer>
  void Command(const char* what, Answer answer, admin::Reply<Response> reply);

  net::BrokerLoop* loop_;
};

}  // namespace jobq::broker::control
