#pragma once
// What each admin request does to the core and what it answers: pure
// functions of the core's state, run on the loop thread by the tasks
// LoopControl posts (loop_control.h). Requests arrive checked
// (broker/admin/job_requests.h); malformed ids are still refused with
// INVALID_ARGUMENT. A command's changes go into `effects`: the caller
// answers only once they are committed.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "common/clock.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::control {

absl::StatusOr<::jobq::admin::ListJobsResponse> AnswerListJobs(
    const core::BrokerCore& core, const ::jobq::admin::ListJobsRequest& request);
// NOT_FOUND for a job the broker does not have.
absl::StatusOr<::jobq::admin::JobInfo> AnswerGetJob(const core::BrokerCore& core,
                                                    const ::jobq::admin::GetJobRequest& request);
::jobq::admin::ListQueuesResponse AnswerListQueues(const core::BrokerCore& core);
::jobq::admin::ListWorkersResponse AnswerListWorkers(const core::BrokerCore& core, TimeMs now_ms);

// All ids are checked before any job is touched: all or nothing.
absl::StatusOr<::jobq::admin::RetryJobsResponse> AnswerRetryJobs(
    core::BrokerCore& core, const ::jobq::admin::RetryJobsRequest& request, TimeMs now_ms,
    core::Effects* effects);
absl::StatusOr<::jobq::admin::CancelJobsResponse> AnswerCancelJobs(
    core::BrokerCore& core, const ::jobq::admin::CancelJobsRequest& request, TimeMs now_ms,
    core::Effects* effects);
// NOT_FOUND for a queue the broker does not know.
absl::StatusOr<::jobq::admin::PurgeQueueResponse> AnswerPurgeQueue(
    core::BrokerCore& core, const ::jobq::admin::PurgeQueueRequest& request, TimeMs now_ms,
    core::Effects* effects);
// Pauses (or resumes) `queue`: NOT_FOUND, or FAILED_PRECONDITION when it
// is paused (not paused) already.
absl::Status AnswerPauseQueue(core::BrokerCore& core, const std::string& queue, bool pause);
// NOT_FOUND for no such worker, FAILED_PRECONDITION when it drains already.
absl::StatusOr<::jobq::admin::DrainWorkerResponse> AnswerDrainWorker(
    core::BrokerCore& core, const ::jobq::admin::DrainWorkerRequest& request,
    core::Effects* effects);

// What a command answers when its commit failed: the broker stops, and
// `what` may not have taken effect.
absl::Status CommitFailed(const absl::Status& status, const std::string& what);

}  // namespace jobq::broker::control
