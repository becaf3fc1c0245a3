#pragma once
// StandbyControl: the admin service of a standby broker (docs/postgres.md),
// which holds no jobs: GetStatus answers with the standby's own snapshot
// (health NOT_SERVING, "standby of LEADER"), Shutdown stops the standby,
// and every other call is refused with FAILED_PRECONDITION naming the
// leader to ask instead.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "broker/admin/broker_control.h"
#include "broker/admin/status_board.h"

namespace jobq::broker::leader {

class StandbyControl final : public admin::BrokerControl {
 public:
  // `board` holds the standby's snapshots and must outlive the control;
  // `stop` ends the standby (any thread).
  StandbyControl(const admin::StatusBoard* board, std::function<void()> stop)
      : board_(board), stop_(std::move(stop)) {}

  void FetchStatus(
      admin::Reply<std::shared_ptr<const ::jobq::admin::GetStatusResponse>> reply) override;
  void Shutdown(bool drain, admin::Reply<uint32_t> reply) override;
  void PauseSchedule(const ::jobq::admin::ScheduleRequest& request, bool pause,
                     admin::Reply<::jobq::admin::ScheduleInfo> reply) override;
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
  void AddSchedule(const ::jobq::admin::AddScheduleRequest& request,
                   admin::Reply<::jobq::admin::ScheduleInfo> reply) override;
  void ListSchedules(const ::jobq::admin::ListSchedulesRequest& request,
                     admin::Reply<::jobq::admin::ListSchedulesResponse> reply) override;
  void GetSchedule(const ::jobq::admin::ScheduleRequest& request,
                   admin::Reply<::jobq::admin::ScheduleInfo> reply) override;
  void RemoveSchedule(const ::jobq::admin::ScheduleRequest& request,
                      admin::Reply<::jobq::admin::RemoveScheduleResponse> reply) override;
  void RunSchedule(const ::jobq::admin::ScheduleRequest& request,
                   admin::Reply<::jobq::admin::RunScheduleResponse> reply) override;
  void GetWorkflow(const ::jobq::admin::GetWorkflowRequest& request,
                   admin::Reply<::jobq::admin::WorkflowInfo> reply) override;
  void ListWorkflows(const ::jobq::admin::ListWorkflowsRequest& request,
                     admin::Reply<::jobq::admin::ListWorkflowsResponse> reply) override;
  void CancelWorkflow(const ::jobq::admin::CancelWorkflowRequest& request,
                      admin::Reply<::jobq::admin::CancelWorkflowResponse> reply) override;

 private:
  // "this broker (NAME) is a standby: ..." with who leads, from the board.
  absl::Status NotTheLeader() const;

  const admin::StatusBoard* board_;
  const std::function<void()> stop_;
};

}  // namespace jobq::broker::leader
