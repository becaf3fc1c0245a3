// POST /api/queues/NAME/pause|resume|purge, POST /api/workers/NAME/drain.

#include "broker/admin/job_requests.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/loop_ask.h"
#include "producer/cli/command_json.h"

namespace jobq::broker::http {

HttpResponse DashboardApi::QueueAction(RouteId action, const std::string& queue) {
  if (absl::Status valid = admin::CheckName(queue, "queue"); !valid.ok()) {
    return Failed(valid);
  }
  if (action == RouteId::kPurgeQueue) {
    ::jobq::admin::PurgeQueueRequest request;
    request.set_queue(queue);
    absl::StatusOr<::jobq::admin::PurgeQueueResponse> purged =
        AskLoop<::jobq::admin::PurgeQueueResponse>(
            [&](auto reply) { parts_.control->PurgeQueue(request, std::move(reply)); },
            parts_.loop_timeout);
    return purged.ok() ? Json(cli::FormatPurgeJson(queue, *purged)) : Failed(purged.status());
  }
  absl::Status done;
  if (action == RouteId::kPauseQueue) {
    ::jobq::admin::PauseQueueRequest request;
    request.set_queue(queue);
    done = AskLoop<::jobq::admin::PauseQueueResponse>(
               [&](auto reply) { parts_.control->PauseQueue(request, std::move(reply)); },
               parts_.loop_timeout)
               .status();
  } else {
    ::jobq::admin::ResumeQueueRequest request;
    request.set_queue(queue);
    done = AskLoop<::jobq::admin::ResumeQueueResponse>(
               [&](auto reply) { parts_.control->ResumeQueue(request, std::move(reply)); },
               parts_.loop_timeout)
               .status();
  }
  return done.ok() ? Json(cli::FormatPauseJson(queue, action == RouteId::kPauseQueue))
                   : Failed(done);
}

HttpResponse DashboardApi::DrainWorker(const std::string& worker) {
  if (absl::Status valid = admin::CheckName(worker, "worker name"); !valid.ok()) {
    return Failed(valid);
  }
  ::jobq::admin::DrainWorkerRequest request;
  request.set_name(worker);
  absl::StatusOr<::jobq::admin::DrainWorkerResponse> drained =
      AskLoop<::jobq::admin::DrainWorkerResponse>(
          [&](auto reply) { parts_.control->DrainWorker(request, std::move(reply)); },
          parts_.loop_timeout);
  return drained.ok() ? Json(cli::FormatDrainJson(worker, *drained)) : Failed(drained.status());
}

}  // namespace jobq::broker::http
