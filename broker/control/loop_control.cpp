#include "broker/control/loop_control.h"

#include <memory>
#include <utility>

#include "broker/control/admin_answers.h"
#include "broker/control/limit_answers.h"
#include "broker/control/workflow_answers.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace jobq::broker::control {
namespace {

// `jobq schedule show`'s next firings.
constexpr size_t kNextFiringsShown = 10;

absl::Status LoopStopped() {
  return absl::UnavailableError(
      "the broker is stopping and no longer answers; try again once it "
      "is back");
}

}  // namespace

template <typename Response, typename Answer>
void LoopControl::Ask(Answer answer, admin::Reply<Response> reply) {
  loop_->Post([answer = std::move(answer), reply = std::move(reply)](net::LoopContext* loop) {
    if (loop == nullptr) {
      reply(LoopStopped());
      return;
    }
    reply(absl::StatusOr<Response>(answer(*loop)));
  });
}

template <typename Response, typename Answer>
void LoopControl::Command(const char* what, Answer answer, admin::Reply<Response> reply) {
  loop_->Post([what, answer = std::move(answer),
               reply = std::move(reply)](net::LoopContext* loop) mutable {
    if (loop == nullptr) {
      reply(LoopStopped());
      return;
    }
    absl::StatusOr<Response> answered = answer(*loop);
    if (!answered.ok()) {
      reply(std::move(answered));
      return;
    }
    // Shared by the commit's callback: a std::function must be copyable.
    auto response = std::make_shared<Response>(*std::move(answered));
    loop->AfterCommit([what, response, reply = std::move(reply)](const absl::Status& committed) {
      if (!committed.ok()) {
        reply(CommitFailed(committed, what));
        return;
      }
      reply(std::move(*response));
    });
  });
}

void LoopControl::FetchStatus(
    admin::Reply<std::shared_ptr<const ::jobq::admin::GetStatusResponse>> reply) {
  Ask<std::shared_ptr<const ::jobq::admin::GetStatusResponse>>(
      [](net::LoopContext& loop) {
        auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
        loop.FillStatus(status.get());
        return std::shared_ptr<const ::jobq::admin::GetStatusResponse>(std::move(status));
      },
      std::move(reply));
}

void LoopControl::Shutdown(bool drain, admin::Reply<uint32_t> reply) {
  Ask<uint32_t>(
      [drain](net::LoopContext& loop) -> uint32_t {
        JOBQ_LOG(kInfo, "broker", "shutdown_requested").Kv("mode", drain ? "drain" : "now");
        if (!drain) {
          loop.StopNow();
          return 0;
        }
        loop.core().BeginShutdown(loop.now_ms(), &loop.effects());
        loop.StopWhenDrained();
        return static_cast<uint32_t>(loop.core().worker_count());
      },
      std::move(reply));
}

void LoopControl::ListJobs(const ::jobq::admin::ListJobsRequest& request,
                           admin::Reply<::jobq::admin::ListJobsResponse> reply) {
  Ask<::jobq::admin::ListJobsResponse>(
      [request](net::LoopContext& loop) { return AnswerListJobs(loop.core(), request); },
      std::move(reply));
}

void LoopControl::GetJob(const ::jobq::admin::GetJobRequest& request,
                         admin::Reply<::jobq::admin::JobInfo> reply) {
  Ask<::jobq::admin::JobInfo>(
      [request](net::LoopContext& loop) { return AnswerGetJob(loop.core(), request); },
      std::move(reply));
}

void LoopControl::ListQueues(const ::jobq::admin::ListQueuesRequest&,
                             admin::Reply<::jobq::admin::ListQueuesResponse> reply) {
  Ask<::jobq::admin::ListQueuesResponse>(
      [](net::LoopContext& loop) { return AnswerListQueues(loop.core()); }, std::move(reply));
}

void LoopControl::ListWorkers(const ::jobq::admin::ListWorkersRequest&,
                              admin::Reply<::jobq::admin::ListWorkersResponse> reply) {
  Ask<::jobq::admin::ListWorkersResponse>(
      [](net::LoopContext& loop) { return AnswerListWorkers(loop.core(), loop.now_ms()); },
      std::move(reply));
}

void LoopControl::RetryJobs(const ::jobq::admin::RetryJobsRequest& request,
                            admin::Reply<::jobq::admin::RetryJobsResponse> reply) {
  // "retried" is an acknowledgement: like SUBMITTED it leaves only once the
  // store has the job queued again.
  Command<::jobq::admin::RetryJobsResponse>(
      "the retries",
      [request](net::LoopContext& loop) {
        return AnswerRetryJobs(loop.core(), request, loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

void LoopControl::CancelJobs(const ::jobq::admin::CancelJobsRequest& request,
                             admin::Reply<::jobq::admin::CancelJobsResponse> reply) {
  Command<::jobq::admin::CancelJobsResponse>(
      "the cancels",
      [request](net::LoopContext& loop) {
        return AnswerCancelJobs(loop.core(), request, loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

void LoopControl::PurgeQueue(const ::jobq::admin::PurgeQueueRequest& request,
                             admin::Reply<::jobq::admin::PurgeQueueResponse> reply) {
  Command<::jobq::admin::PurgeQueueResponse>(
      "the purge",
      [request](net::LoopContext& loop) {
        return AnswerPurgeQueue(loop.core(), request, loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

void LoopControl::PauseQueue(const ::jobq::admin::PauseQueueRequest& request,
                             admin::Reply<::jobq::admin::PauseQueueResponse> reply) {
  Ask<::jobq::admin::PauseQueueResponse>(
      [queue = request.queue()](
          net::LoopContext& loop) -> absl::StatusOr<::jobq::admin::PauseQueueResponse> {
        JOBQ_RETURN_IF_ERROR(AnswerPauseQueue(loop.core(), queue, /*pause=*/true));
        return ::jobq::admin::PauseQueueResponse();
      },
      std::move(reply));
}

void LoopControl::ResumeQueue(const ::jobq::admin::ResumeQueueRequest& request,
                              admin::Reply<::jobq::admin::ResumeQueueResponse> reply) {
  Ask<::jobq::admin::ResumeQueueResponse>(
      [queue = request.queue()](
          net::LoopContext& loop) -> absl::StatusOr<::jobq::admin::ResumeQueueResponse> {
        JOBQ_RETURN_IF_ERROR(AnswerPauseQueue(loop.core(), queue, /*pause=*/false));
        return ::jobq::admin::ResumeQueueResponse();
      },
      std::move(reply));
}

void LoopControl::DrainWorker(const ::jobq::admin::DrainWorkerRequest& request,
                              admin::Reply<::jobq::admin::DrainWorkerResponse> reply) {
  Ask<::jobq::admin::DrainWorkerResponse>(
      [request](net::LoopContext& loop) {
        return AnswerDrainWorker(loop.core(), request, &loop.effects());
      },
      std::move(reply));
}

void LoopControl::SetLimit(const ::jobq::admin::SetLimitRequest& request,
                           admin::Reply<::jobq::admin::SetLimitResponse> reply) {
  Command<::jobq::admin::SetLimitResponse>(
      "the limit",
      [request](net::LoopContext& loop) {
        return AnswerSetLimit(loop.core(), request, loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

void LoopControl::ClearLimit(const ::jobq::admin::ClearLimitRequest& request,
                             admin::Reply<::jobq::admin::ClearLimitResponse> reply) {
  Command<::jobq::admin::ClearLimitResponse>(
      "the limit's removal",
      [request](net::LoopContext& loop) {
        return AnswerClearLimit(loop.core(), request, &loop.effects());
      },
      std::move(reply));
}

void LoopControl::ListLimits(const ::jobq::admin::ListLimitsRequest&,
                             admin::Reply<::jobq::admin::ListLimitsResponse> reply) {
  Ask<::jobq::admin::ListLimitsResponse>(
      [](net::LoopContext& loop) { return AnswerListLimits(loop.core(), loop.now_ms()); },
      std::move(reply));
}

void LoopControl::AddSchedule(const ::jobq::admin::AddScheduleRequest& request,
                              admin::Reply<::jobq::admin::ScheduleInfo> reply) {
  Command<::jobq::admin::ScheduleInfo>(
      "the schedule",
      [request](net::LoopContext& loop) {
        return loop.core().AddSchedule(request.spec(), loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

void LoopControl::ListSchedules(const ::jobq::admin::ListSchedulesRequest&,
                                admin::Reply<::jobq::admin::ListSchedulesResponse> reply) {
  Ask<::jobq::admin::ListSchedulesResponse>(
      [](net::LoopContext& loop) {
        ::jobq::admin::ListSchedulesResponse response;
        loop.core().FillSchedules(core::kSchedulesMax, response.mutable_schedules());
        return response;
      },
      std::move(reply));
}

void LoopControl::GetSchedule(const ::jobq::admin::ScheduleRequest& request,
                              admin::Reply<::jobq::admin::ScheduleInfo> reply) {
  Ask<::jobq::admin::ScheduleInfo>(
      [name = request.name()](net::LoopContext& loop) {
        return loop.core().GetSchedule(name, kNextFiringsShown);
      },
      std::move(reply));
}

void LoopControl::PauseSchedule(const ::jobq::admin::ScheduleRequest& request, bool pause,
                                admin::Reply<::jobq::admin::ScheduleInfo> reply) {
  Command<::jobq::admin::ScheduleInfo>(
      pause ? "the pause" : "the resume",
      [name = request.name(), pause](net::LoopContext& loop) {
        return loop.core().PauseSchedule(name, pause, loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

void LoopControl::RemoveSchedule(const ::jobq::admin::ScheduleRequest& request,
                                 admin::Reply<::jobq::admin::RemoveScheduleResponse> reply) {
  Command<::jobq::admin::RemoveScheduleResponse>(
      "the removal",
      [name = request.name()](
          net::LoopContext& loop) -> absl::StatusOr<::jobq::admin::RemoveScheduleResponse> {
        JOBQ_RETURN_IF_ERROR(loop.core().RemoveSchedule(name, &loop.effects()));
        return ::jobq::admin::RemoveScheduleResponse();
      },
      std::move(reply));
}

void LoopControl::RunSchedule(const ::jobq::admin::ScheduleRequest& request,
                              admin::Reply<::jobq::admin::RunScheduleResponse> reply) {
  // Like SUBMITTED: the job's id leaves once the job is durable.
  Command<::jobq::admin::RunScheduleResponse>(
      "the job",
      [name = request.name()](
          net::LoopContext& loop) -> absl::StatusOr<::jobq::admin::RunScheduleResponse> {
        absl::StatusOr<JobId> id = loop.core().RunSchedule(name, loop.now_ms(), &loop.effects());
        if (!id.ok()) {
          return id.status();
        }
        ::jobq::admin::RunScheduleResponse response;
        response.set_job_id(std::string(id->Bytes()));
        return response;
      },
      std::move(reply));
}

void LoopControl::GetWorkflow(const ::jobq::admin::GetWorkflowRequest& request,
                              admin::Reply<::jobq::admin::WorkflowInfo> reply) {
  Ask<::jobq::admin::WorkflowInfo>(
      [request](net::LoopContext& loop) { return AnswerGetWorkflow(loop.core(), request); },
      std::move(reply));
}

void LoopControl::ListWorkflows(const ::jobq::admin::ListWorkflowsRequest& request,
                                admin::Reply<::jobq::admin::ListWorkflowsResponse> reply) {
  Ask<::jobq::admin::ListWorkflowsResponse>(
      [request](net::LoopContext& loop) { return AnswerListWorkflows(loop.core(), request); },
      std::move(reply));
}

void LoopControl::CancelWorkflow(const ::jobq::admin::CancelWorkflowRequest& request,
                                 admin::Reply<::jobq::admin::CancelWorkflowResponse> reply) {
  // Like CancelJobs: "cancelled" leaves once the store has the nodes so.
  Command<::jobq::admin::CancelWorkflowResponse>(
      "the workflow's cancel",
      [request](net::LoopContext& loop) {
        return AnswerCancelWorkflow(loop.core(), request, loop.now_ms(), &loop.effects());
      },
      std::move(reply));
}

}  // namespace jobq::broker::control
