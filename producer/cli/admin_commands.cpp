#include "producer/cli/admin_commands.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "producer/cli/admin_call.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/command_json.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_ids.h"

namespace jobq::cli {
namespace {

// The broker takes at most this many ids per call.
constexpr size_t kIdsPerCall = 10'000;

int RunQueues(AdminConnection& admin, const AdminCommandFlags& flags) {
  admin::ListQueuesResponse response;
  if (auto failed = Call(admin, "ListQueues", &admin::Admin::Stub::ListQueues,
                         admin::ListQueuesRequest(), &response)) {
    return *failed;
  }
  PrintStdout(flags.json ? ProtoJson(response) + "\n" : FormatQueuesTable(response));
  return kExitOk;
}

int RunWorkers(AdminConnection& admin, const AdminCommandFlags& flags) {
  admin::ListWorkersResponse response;
  if (auto failed = Call(admin, "ListWorkers", &admin::Admin::Stub::ListWorkers,
                         admin::ListWorkersRequest(), &response)) {
    return *failed;
  }
  PrintStdout(flags.json ? ProtoJson(response) + "\n" : FormatWorkersTable(response));
  return kExitOk;
}

int RunJob(AdminConnection& admin, const AdminCommandFlags& flags, const JobId& id) {
  admin::GetJobRequest request;
  request.set_id(std::string(id.Bytes()));
  admin::JobInfo job;
  if (auto failed = Call(admin, "GetJob", &admin::Admin::Stub::GetJob, request, &job)) {
    return *failed;
  }
  PrintStdout(flags.json ? FormatJobDetailJson(job) + "\n" : FormatJobDetail(job, WallNowMs()));
  return kExitOk;
}

int RunCancel(AdminConnection& admin, const AdminCommandFlags& flags,
              const std::vector<JobId>& ids) {
  bool all_cancelled = true;
  for (size_t first = 0; first < ids.size(); first += kIdsPerCall) {
    admin::CancelJobsRequest request;
    for (size_t i = first; i < std::min(ids.size(), first + kIdsPerCall); ++i) {
      request.add_ids(std::string(ids[i].Bytes()));
    }
    admin::CancelJobsResponse response;
    if (auto failed =
            Call(admin, "CancelJobs", &admin::Admin::Stub::CancelJobs, request, &response)) {
      return *failed;
    }
    std::string text;
    for (const admin::CancelJobResult& result : response.results()) {
      all_cancelled =
          all_cancelled && (result.outcome() == admin::CancelJobResult::OUTCOME_CANCELLED ||
                            result.outcome() == admin::CancelJobResult::OUTCOME_CANCEL_REQUESTED);
      absl::StrAppend(&text, flags.json ? FormatCancelJson(result) : FormatCancelLine(result),
                      "\n");
    }
    PrintStdout(text);
  }
  return all_cancelled ? kExitOk : kExitJobsFailed;
}

int RunPurge(AdminConnection& admin, const AdminCommandFlags& flags, const std::string& queue) {
  admin::PurgeQueueRequest request;
  request.set_queue(queue);
  admin::PurgeQueueResponse response;
  if (auto failed =
          Call(admin, "PurgeQueue", &admin::Admin::Stub::PurgeQueue, request, &response)) {
    return *failed;
  }
  PrintStdout(flags.json ? FormatPurgeJson(queue, response) + "\n"
                         : absl::StrCat("queue ", queue, ": ", response.cancelled(),
                                        " waiting jobs cancelled (running ones run on)\n"));
  return kExitOk;
}

int RunPauseResume(AdminConnection& admin, const AdminCommandFlags& flags, const std::string& queue,
                   bool pause) {
  std::optional<int> failed;
  if (pause) {
    admin::PauseQueueRequest request;
    request.set_queue(queue);
    admin::PauseQueueResponse response;
    failed = Call(admin, "PauseQueue", &admin::Admin::Stub::PauseQueue, request, &response);
  } else {
    admin::ResumeQueueRequest request;
    request.set_queue(queue);
    admin::ResumeQueueResponse response;
    failed = Call(admin, "ResumeQueue", &admin::Admin::Stub::ResumeQueue, request, &response);
  }
  if (failed) {
    return *failed;
  }
  PrintStdout(flags.json ? FormatPauseJson(queue, pause) + "\n"
              : pause
                  ? absl::StrCat("queue ", queue,
                                 " paused: it takes jobs and dispatches none until jobq resume ",
                                 queue, "\n")
                  : absl::StrCat("queue ", queue, " resumed\n"));
  return kExitOk;
}

int RunDrain(AdminConnection& admin, const AdminCommandFlags& flags, const std::string& name) {
  admin::DrainWorkerRequest request;
  request.set_name(name);
  admin::DrainWorkerResponse response;
  if (auto failed =
          Call(admin, "DrainWorker", &admin::Admin::Stub::DrainWorker, request, &response)) {
    return *failed;
  }
  if (flags.json) {
    PrintStdout(FormatDrainJson(name, response) + "\n");
  } else {
    PrintStdout(absl::StrCat("worker ", name, " drains: it got a sentinel for ",
                             absl::StrJoin(response.queues(), ", "), "; it finishes its ",
                             response.in_flight(), " jobs in flight and exits\n"));
  }
  return kExitOk;
}

}  // namespace

int ExitCodeForRpc(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitJobsFailed;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitAuth;
    default:
      return kExitUsage;
  }
}

CLI::App* AddAdminCommand(CLI::App& app, AdminCommand command, AdminCommandFlags* flags) {
  CLI::App* sub = nullptr;
  switch (command) {
    case AdminCommand::kQueues:
      sub = app.add_subcommand("queues",
                               "List the queues: waiting and running jobs, workers, "
                               "paused or not");
      break;
    case AdminCommand::kWorkers:
      sub = app.add_subcommand(
          "workers",
          "List the workers: pools, in-flight, CPU %, RSS, state (active, draining, "
          "or dead for 5 minutes after missing its heartbeats)");
      break;
    case AdminCommand::kJob:
      sub =
          app.add_subcommand("job", "Show one job: every field, attempts, times, result or error");
      sub->add_option("id", flags->args, "Job id as printed by jobq submit")
          ->required()
          ->expected(1);
      break;
    case AdminCommand::kCancel:
      sub = app.add_subcommand(
          "cancel", "Cancel jobs: queued ones at once, running ones are stopped by their worker");
      sub->add_option("id", flags->args, "Job ids as printed by jobq submit")->required();
      break;
    case AdminCommand::kPurge:
      sub = app.add_subcommand("purge", "Cancel every queued and scheduled job of a queue");
      sub->add_option("queue", flags->args, "Queue name")->required()->expected(1);
      break;
    case AdminCommand::kPause:
      sub = app.add_subcommand(
          "pause",
          "Pause a queue: it keeps taking jobs and dispatches none (until a broker "
          "restart or jobq resume)");
      sub->add_option("queue", flags->args, "Queue name")->required()->expected(1);
      break;
    case AdminCommand::kResume:
      sub = app.add_subcommand("resume", "Resume a paused queue");
      sub->add_option("queue", flags->args, "Queue name")->required()->expected(1);
      break;
    case AdminCommand::kDrain:
      sub = app.add_subcommand(
          "drain", "Drain a worker: it takes no more jobs, finishes what it holds and exits 0");
      sub->add_option("worker", flags->args, "Worker name as jobq workers shows it")
          ->required()
          ->expected(1);
      break;
  }
  sub->add_flag("--json", flags->json, "Print JSON instead of text");
  sub->add_option("--admin", flags->admin, kAdminFlagHelp);
  return sub;
}

int RunAdminCommand(AdminCommand command, const AdminCommandFlags& flags,
                    const GlobalFlags& global) {
  // Arguments are checked before any connection is made.
  std::vector<JobId> ids;
  if (command == AdminCommand::kJob || command == AdminCommand::kCancel) {
    absl::StatusOr<std::vector<JobId>> parsed = ParseJobIdArgs(flags.args);
    if (!parsed.ok()) {
      PrintError(parsed.status().message());
      return kExitUsage;
    }
    ids = *std::move(parsed);
  }
  const std::string name = flags.args.empty() ? "" : flags.args.front();
  if ((command == AdminCommand::kPurge || command == AdminCommand::kPause ||
       command == AdminCommand::kResume || command == AdminCommand::kDrain) &&
      name.empty()) {
    PrintError(command == AdminCommand::kDrain ? "a worker name cannot be empty"
                                               : "a queue name cannot be empty");
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  switch (command) {
    case AdminCommand::kQueues:
      return RunQueues(*admin, flags);
    case AdminCommand::kWorkers:
      return RunWorkers(*admin, flags);
    case AdminCommand::kJob:
      return RunJob(*admin, flags, ids.front());
    case AdminCommand::kCancel:
      return RunCancel(*admin, flags, ids);
    case AdminCommand::kPurge:
      return RunPurge(*admin, flags, name);
    case AdminCommand::kPause:
      return RunPauseResume(*admin, flags, name, /*pause=*/true);
    case AdminCommand::kResume:
      return RunPauseResume(*admin, flags, name, /*pause=*/false);
    case AdminCommand::kDrain:
      return RunDrain(*admin, flags, name);
  }
  return kExitUsage;
}

}  // namespace jobq::cli
