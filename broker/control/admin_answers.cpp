#include "broker/control/admin_answers.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "broker/admin/job_requests.h"
#include "common/job_state.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace jobq::broker::control {
namespace {

constexpr std::string_view kUnknownJobWhy =
    "the id is wrong, or the job finished and its result expired (result TTL)";

// `with_result`: ListJobs leaves results out, which may be large; their
// size still shows.
// `worker`: the name of the worker running the job, when the core knows it.
void FillJobInfo(const core::Job& job, const core::WorkerInfo* worker, bool with_result,
                 ::jobq::admin::JobInfo* info) {
  info->set_id(std::string(job.id.Bytes()));
  info->set_queue(job.spec.queue());
  info->set_task(job.spec.task());
  info->set_state(job.state);
  info->set_attempts(job.attempt);
  info->set_failures(job.failures);
  info->set_max_attempts(job.spec.max_attempts());
  info->set_priority(job.spec.priority());
  info->set_idempotency_key(job.spec.idempotency_key());
  info->set_submitted_ms(job.submitted_ms);
  info->set_started_ms(job.started_ms);
  info->set_finished_ms(job.finished_ms);
  info->set_expires_ms(job.expires_ms);
  if (job.state == wire::JOB_STATE_SCHEDULED) {
    info->set_due_ms(job.scheduled_ms);
  }
  info->set_content_type(job.result_content_type);
  info->set_result_bytes(job.result.size());
  if (with_result) {
    info->set_result(job.result);
    info->set_payload(job.spec.payload());
    info->set_payload_content_type(job.spec.content_type());
  }
  if (!job.error.type().empty() || !job.error.message().empty()) {
    *info->mutable_error() = job.error;
  }
  if (worker != nullptr) {
    info->set_worker(worker->name);
  }
  if (!job.progress.empty()) {
    ::jobq::admin::JobProgress& progress = *info->mutable_progress();
    progress.set_attempt(job.progress.attempt);
    progress.set_done(job.progress.done);
    progress.set_total(job.progress.total);
    progress.set_message(job.progress.message);
    progress.set_reported_ms(job.progress.reported_ms);
  }
  // Parents, children and workflow (JobSpec.after, Job.links).
  for (const std::string& parent : job.spec.after()) {
    info->add_parents(parent);
  }
  info->set_on_parent_failure(job.spec.on_parent_failure());
  if (job.links) {
    if (job.links->workflow) {
      info->set_workflow_id(std::string(job.links->workflow->Bytes()));
    }
    info->set_node_name(job.links->node);
    for (const JobId& child : job.links->children) {
      info->add_children(std::string(child.Bytes()));
    }
  }
}

// The ids of an admin request, all valid or an error: nothing is done
// with some of them when another is malformed.
absl::StatusOr<std::vector<JobId>> ParseJobIds(
    const google::protobuf::RepeatedPtrField<std::string>& raw_ids) {
  std::vector<JobId> ids;
  ids.reserve(static_cast<size_t>(raw_ids.size()));
  for (const std::string& bytes : raw_ids) {
    std::optional<JobId> id = JobId::FromBytes(bytes);
    if (!id) {
      return absl::InvalidArgumentError("ids holds one that is not a 16-byte job id");
    }
    ids.push_back(*id);
  }
  return ids;
}

}  // namespace

absl::StatusOr<::jobq::admin::ListJobsResponse> AnswerListJobs(
    const core::BrokerCore& core, const ::jobq::admin::ListJobsRequest& request) {
  core::JobFilter filter;
  filter.state = request.state();
  filter.queue = request.queue();
  filter.task = request.task();
  if (!request.page_after().empty()) {
    filter.after = JobId::FromBytes(request.page_after());
    if (!filter.after) {
      return absl::InvalidArgumentError("page_after is not a 16-byte job id");
    }
  }
  const size_t limit = request.limit() == 0
                           ? admin::kDefaultListLimit
                           : std::min<size_t>(request.limit(), admin::kMaxListLimit);
  filter.limit = limit;
  const core::JobPage page = core.ListJobs(filter);
  ::jobq::admin::ListJobsResponse response;
  for (const core::Job* job : page.jobs) {
    FillJobInfo(*job, core.FindWorker(job->leased_to), /*with_result=*/false, response.add_jobs());
  }
  if (page.next_after) {
    response.set_next_page_after(std::string(page.next_after->Bytes()));
    // The token is the same place in the id's text form (NormalizeListJobs
    // turns it back): printable, and opaque to callers all the same.
    response.set_next_page_token(page.next_after->ToString());
  }
  return response;
}

absl::StatusOr<::jobq::admin::JobInfo> AnswerGetJob(const core::BrokerCore& core,
                                                    const ::jobq::admin::GetJobRequest& request) {
  std::optional<JobId> id = JobId::FromBytes(request.id());
  if (!id) {
    return absl::InvalidArgumentError("id is not a 16-byte job id");
  }
  const core::Job* job = core.FindJob(*id);
  if (job == nullptr) {
    return absl::NotFoundError("no job " + id->ToString() +
                               " here: " + std::string(kUnknownJobWhy));
  }
  ::jobq::admin::JobInfo info;
  FillJobInfo(*job, core.FindWorker(job->leased_to), /*with_result=*/true, &info);
  return info;
}

::jobq::admin::ListQueuesResponse AnswerListQueues(const core::BrokerCore& core) {
  ::jobq::admin::ListQueuesResponse response;
  core.FillQueues(&response);
  return response;
}

::jobq::admin::ListWorkersResponse AnswerListWorkers(const core::BrokerCore& core, TimeMs now_ms) {
  ::jobq::admin::ListWorkersResponse response;
  core.FillWorkers(now_ms, &response);
  return response;
}

absl::StatusOr<::jobq::admin::RetryJobsResponse> AnswerRetryJobs(
    core::BrokerCore& core, const ::jobq::admin::RetryJobsRequest& request, TimeMs now_ms,
    core::Effects* effects) {  // Every id is checked before any job is touched: all or nothing.
  JOBQ_ASSIGN_OR_RETURN(std::vector<JobId> ids, ParseJobIds(request.ids()));
  ::jobq::admin::RetryJobsResponse response;
  for (const JobId& id : ids) {
    ::jobq::admin::RetryJobResult* result = response.add_results();
    result->set_id(std::string(id.Bytes()));
    const core::Job* job = core.FindJob(id);
    const wire::JobState state = job != nullptr ? job->state : wire::JOB_STATE_UNSPECIFIED;
    result->set_state(state);
    switch (core.RetryJob(id, now_ms, effects)) {
      case core::RetryOutcome::kRetried:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_RETRIED);
        result->set_message("retried: queued again, with its full retry budget");
        break;
      case core::RetryOutcome::kUnknownJob:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_UNKNOWN_JOB);
        result->set_message("not retried: no such job here: " + std::string(kUnknownJobWhy));
        break;
      case core::RetryOutcome::kNotFinished:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_NOT_FINISHED);
        result->set_message(std::string("not retried: the job ") +
                            (state == wire::JOB_STATE_SUCCEEDED
                                 ? "succeeded"
                                 : "is still " + std::string(JobStateName(state))) +
                            "; only dead, failed or cancelled jobs can be retried");
        break;
      case core::RetryOutcome::kShuttingDown:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_SHUTTING_DOWN);
        result->set_message("not retried: the broker is shutting down and takes no new work");
        break;
      case core::RetryOutcome::kWaitsForParents:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_WAITS_FOR_PARENTS);
        result->set_message("not retried: it was cancelled because a parent failed (" +
                            job->error.message() +
                            "); retry that parent, and this job comes back with it");
        break;
    }
  }
  return response;
}

absl::StatusOr<::jobq::admin::CancelJobsResponse> AnswerCancelJobs(
    core::BrokerCore& core, const ::jobq::admin::CancelJobsRequest& request, TimeMs now_ms,
    core::Effects* effects) {
  JOBQ_ASSIGN_OR_RETURN(std::vector<JobId> ids, ParseJobIds(request.ids()));
  ::jobq::admin::CancelJobsResponse response;
  for (const JobId& id : ids) {
    ::jobq::admin::CancelJobResult* result = response.add_results();
    result->set_id(std::string(id.Bytes()));
    const core::Job* job = core.FindJob(id);
    const wire::JobState state = job != nullptr ? job->state : wire::JOB_STATE_UNSPECIFIED;
    result->set_state(state);
    switch (core.CancelJob(id, now_ms, effects)) {
      case core::CancelOutcome::kCancelled:
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_CANCELLED);
        result->set_message("cancelled: it was " + std::string(JobStateName(state)));
        break;
      case core::CancelOutcome::kCancelRequested:
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_CANCEL_REQUESTED);
        result->set_message(
            "cancel requested: it is running; its worker was told to stop it, and it ends "
            "cancelled");
        if (const core::WorkerInfo* worker = core.FindWorker(job->leased_to)) {
          result->set_message("cancel requested: it is running on " + worker->name +
                              ", which was told to stop it; it ends cancelled");
        }
        break;
      case core::CancelOutcome::kUnknownJob:
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_UNKNOWN_JOB);
        result->set_message("not cancelled: no such job here: " + std::string(kUnknownJobWhy));
        break;
      case core::CancelOutcome::kAlreadyFinished:
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_ALREADY_FINISHED);
        result->set_message("not cancelled: the job is " + std::string(JobStateName(state)) +
                            " already");
        break;
    }
  }
  return response;
}

absl::StatusOr<::jobq::admin::PurgeQueueResponse> AnswerPurgeQueue(
    core::BrokerCore& core, const ::jobq::admin::PurgeQueueRequest& request, TimeMs now_ms,
    core::Effects* effects) {
  std::optional<size_t> purged = core.PurgeQueue(request.queue(), now_ms, effects);
  if (!purged) {
    return absl::NotFoundError("no queue \"" + request.queue() +
                               "\" here: jobq queues lists the queues");
  }
  JOBQ_LOG(kInfo, "broker", "queue_purged").Kv("queue", request.queue()).Kv("cancelled", *purged);
  ::jobq::admin::PurgeQueueResponse response;
  response.set_cancelled(*purged);
  return response;
}

absl::Status AnswerPauseQueue(core::BrokerCore& core, const std::string& queue, bool pause) {
  switch (pause ? core.PauseQueue(queue) : core.ResumeQueue(queue)) {
    case core::QueueControlOutcome::kDone:
      JOBQ_LOG(kInfo, "broker", pause ? "queue_paused" : "queue_resumed").Kv("queue", queue);
      return absl::OkStatus();
    case core::QueueControlOutcome::kUnknownQueue:
      return absl::NotFoundError("no queue \"" + queue + "\" here: jobq queues lists the queues");
    case core::QueueControlOutcome::kAlreadyPaused:
      return absl::FailedPreconditionError("queue \"" + queue +
                                           "\" is paused already; jobq resume " + queue +
                                           " lets it dispatch again");
    case core::QueueControlOutcome::kNotPaused:
      return absl::FailedPreconditionError("queue \"" + queue + "\" is not paused");
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<::jobq::admin::DrainWorkerResponse> AnswerDrainWorker(
    core::BrokerCore& core, const ::jobq::admin::DrainWorkerRequest& request,
    core::Effects* effects) {
  std::vector<std::string> queues;
  switch (core.DrainWorker(request.name(), effects, &queues)) {
    case core::DrainOutcome::kDraining:
      break;
    case core::DrainOutcome::kUnknownWorker:
      return absl::NotFoundError("no worker named \"" + request.name() +
                                 "\" is connected: jobq workers lists them");
    case core::DrainOutcome::kAlreadyDraining:
      return absl::FailedPreconditionError("worker \"" + request.name() +
                                           "\" is draining already: it takes no more jobs and "
                                           "exits once it has finished the ones it holds");
  }
  const core::WorkerInfo* worker = core.FindWorkerByName(request.name());
  ::jobq::admin::DrainWorkerResponse response;
  for (const std::string& queue : queues) {
    response.add_queues(queue);
  }
  response.set_in_flight(worker != nullptr ? static_cast<uint32_t>(worker->leased.size()) : 0);
  JOBQ_LOG(kInfo, "broker", "worker_drain_requested")
      .Kv("worker", request.name())
      .Kv("in_flight", response.in_flight());
  return response;
}

absl::Status CommitFailed(const absl::Status& status, const std::string& what) {
  return absl::InternalError(std::string(status.message()) + "; the broker stops, and " + what +
                             " may not have taken effect");
}

}  // namespace jobq::broker::control
