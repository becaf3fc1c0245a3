// AdminService: the schedule RPCs (proto/jobq/schedule.proto). The loop
// checks the specs (CheckScheduleSpec); here only the names are checked.

#include "broker/admin/admin_server.h"
#include "broker/admin/job_requests.h"
#include "broker/admin/unary_answer.h"

namespace jobq::broker::admin {
namespace {

absl::Status CheckScheduleName(jobq::admin::ScheduleRequest* request) {
  return CheckName(request->name(), "schedule name");
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::AddSchedule(grpc::CallbackServerContext* context,
                                                    const jobq::admin::AddScheduleRequest* request,
                                                    jobq::admin::ScheduleInfo* response) {
  return Answer(
      auth_, "AddSchedule", context, *request, response, [](auto*) { return absl::OkStatus(); },
      [this](const auto& checked, auto reply) {
        control_->AddSchedule(checked, std::move(reply));
      });
}

grpc::ServerUnaryReactor* AdminService::ListSchedules(
    grpc::CallbackServerContext* context, const jobq::admin::ListSchedulesRequest* request,
    jobq::admin::ListSchedulesResponse* response) {
  return Answer(
      auth_, "ListSchedules", context, *request, response, [](auto*) { return absl::OkStatus(); },
      [this](const auto& checked, auto reply) {
        control_->ListSchedules(checked, std::move(reply));
      });
}

grpc::ServerUnaryReactor* AdminService::GetSchedule(grpc::CallbackServerContext* context,
                                                    const jobq::admin::ScheduleRequest* request,
                                                    jobq::admin::ScheduleInfo* response) {
  return Answer(auth_, "GetSchedule", context, *request, response, CheckScheduleName,
                [this](const auto& checked, auto reply) {
                  control_->GetSchedule(checked, std::move(reply));
                });
}

grpc::ServerUnaryReactor* AdminService::PauseSchedule(grpc::CallbackServerContext* context,
                                                      const jobq::admin::ScheduleRequest* request,
                                                      jobq::admin::ScheduleInfo* response) {
  return Answer(auth_, "PauseSchedule", context, *request, response, CheckScheduleName,
                [this](const auto& checked, auto reply) {
                  control_->PauseSchedule(checked, /*pause=*/true, std::move(reply));
                });
}

grpc::ServerUnaryReactor* AdminService::ResumeSchedule(grpc::CallbackServerContext* context,
                                                       const jobq::admin::ScheduleRequest* request,
                                                       jobq::admin::ScheduleInfo* response) {
  return Answer(auth_, "ResumeSchedule", context, *request, response, CheckScheduleName,
                [this](const auto& checked, auto reply) {
                  control_->PauseSchedule(checked, /*pause=*/false, std::move(reply));
                });
}

grpc::ServerUnaryReactor* AdminService::RemoveSchedule(
    grpc::CallbackServerContext* context, const jobq::admin::ScheduleRequest* request,
    jobq::admin::RemoveScheduleResponse* response) {
  return Answer(auth_, "RemoveSchedule", context, *request, response, CheckScheduleName,
                [this](const auto& checked, auto reply) {
                  control_->RemoveSchedule(checked, std::move(reply));
                });
}

grpc::ServerUnaryReactor* AdminService::RunSchedule(grpc::CallbackServerContext* context,
                                                    const jobq::admin::ScheduleRequest* request,
                                                    jobq::admin::RunScheduleResponse* response) {
  return Answer(auth_, "RunSchedule", context, *request, response, CheckScheduleName,
                [this](const auto& checked, auto reply) {
                  control_->RunSchedule(checked, std::move(reply));
                });
}

}  // namespace jobq::broker::admin
