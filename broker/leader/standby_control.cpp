#include "broker/leader/standby_control.h"

#include "absl/strings/str_cat.h"

namespace jobq::broker::leader {

absl::Status StandbyControl::NotTheLeader() const {
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> status = board_->Latest();
  const ::jobq::admin::Leadership* leadership =
      status != nullptr ? &status->leadership() : &::jobq::admin::Leadership::default_instance();
  std::string who =
      leadership->leader().empty()
          ? std::string(
                "no broker leads right now; one of the standbys takes over within the "
                "lease (--leader-lease): try again in a few seconds")
          : absl::StrCat("the leader is ", leadership->leader(), " (admin ",
                         leadership->leader_admin(), "): ask it instead");
  return absl::FailedPreconditionError(
      absl::StrCat("this broker (", leadership->name(), ") is a standby: ", who));
}

void StandbyControl::FetchStatus(
    admin::Reply<std::shared_ptr<const ::jobq::admin::GetStatusResponse>> reply) {
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> status = board_->Latest();
  if (status == nullptr) {
    reply(absl::UnavailableError("the standby is starting; try again"));
    return;
  }
  reply(std::move(status));
}

void StandbyControl::Shutdown(bool, admin::Reply<uint32_t> reply) {
  // A standby holds no jobs and no workers: there is nothing to drain.
  stop_();
  reply(0u);
}

void StandbyControl::PauseSchedule(const ::jobq::admin::ScheduleRequest&, bool,
                                   admin::Reply<::jobq::admin::ScheduleInfo> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ListJobs(const ::jobq::admin::ListJobsRequest&,
                              admin::Reply<::jobq::admin::ListJobsResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::GetJob(const ::jobq::admin::GetJobRequest&,
                            admin::Reply<::jobq::admin::JobInfo> reply) {
  reply(NotTheLeader());
}

void StandbyControl::RetryJobs(const ::jobq::admin::RetryJobsRequest&,
                               admin::Reply<::jobq::admin::RetryJobsResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ListQueues(const ::jobq::admin::ListQueuesRequest&,
                                admin::Reply<::jobq::admin::ListQueuesResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ListWorkers(const ::jobq::admin::ListWorkersRequest&,
                                 admin::Reply<::jobq::admin::ListWorkersResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::CancelJobs(const ::jobq::admin::CancelJobsRequest&,
                                admin::Reply<::jobq::admin::CancelJobsResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::PurgeQueue(const ::jobq::admin::PurgeQueueRequest&,
                                admin::Reply<::jobq::admin::PurgeQueueResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::PauseQueue(const ::jobq::admin::PauseQueueRequest&,
                                admin::Reply<::jobq::admin::PauseQueueResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ResumeQueue(const ::jobq::admin::ResumeQueueRequest&,
                                 admin::Reply<::jobq::admin::ResumeQueueResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::DrainWorker(const ::jobq::admin::DrainWorkerRequest&,
                                 admin::Reply<::jobq::admin::DrainWorkerResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::SetLimit(const ::jobq::admin::SetLimitRequest&,
                              admin::Reply<::jobq::admin::SetLimitResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ClearLimit(const ::jobq::admin::ClearLimitRequest&,
                                admin::Reply<::jobq::admin::ClearLimitResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ListLimits(const ::jobq::admin::ListLimitsRequest&,
                                admin::Reply<::jobq::admin::ListLimitsResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::AddSchedule(const ::jobq::admin::AddScheduleRequest&,
                                 admin::Reply<::jobq::admin::ScheduleInfo> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ListSchedules(const ::jobq::admin::ListSchedulesRequest&,
                                   admin::Reply<::jobq::admin::ListSchedulesResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::GetSchedule(const ::jobq::admin::ScheduleRequest&,
                                 admin::Reply<::jobq::admin::ScheduleInfo> reply) {
  reply(NotTheLeader());
}

void StandbyControl::RemoveSchedule(const ::jobq::admin::ScheduleRequest&,
                                    admin::Reply<::jobq::admin::RemoveScheduleResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::RunSchedule(const ::jobq::admin::ScheduleRequest&,
                                 admin::Reply<::jobq::admin::RunScheduleResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::GetWorkflow(const ::jobq::admin::GetWorkflowRequest&,
                                 admin::Reply<::jobq::admin::WorkflowInfo> reply) {
  reply(NotTheLeader());
}

void StandbyControl::ListWorkflows(const ::jobq::admin::ListWorkflowsRequest&,
                                   admin::Reply<::jobq::admin::ListWorkflowsResponse> reply) {
  reply(NotTheLeader());
}

void StandbyControl::CancelWorkflow(const ::jobq::admin::CancelWorkflowRequest&,
                                    admin::Reply<::jobq::admin::CancelWorkflowResponse> reply) {
  reply(NotTheLeader());
}

}  // namespace jobq::broker::leader
