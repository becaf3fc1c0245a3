#include "producer/cli/retry_command.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_ids.h"
#include "producer/cli/jobs_table.h"
#include "producer/client/outcome.h"

namespace jobq::cli {
namespace {

// The broker takes at most this many ids per call.
constexpr size_t kIdsPerCall = 10'000;

// For a broker that sent no message of its own.
std::string_view DefaultMessage(admin::RetryJobResult::Outcome outcome) {
  switch (outcome) {
    case admin::RetryJobResult::OUTCOME_RETRIED:
      return "retried";
    case admin::RetryJobResult::OUTCOME_UNKNOWN_JOB:
      return "not retried: no such job";
    case admin::RetryJobResult::OUTCOME_NOT_FINISHED:
      return "not retried: only dead, failed or cancelled jobs can be retried";
    case admin::RetryJobResult::OUTCOME_SHUTTING_DOWN:
      return "not retried: the broker is shutting down";
    case admin::RetryJobResult::OUTCOME_WAITS_FOR_PARENTS:
      return "not retried: cancelled because a parent failed; retry that parent and it comes "
             "back with it";
    default:
      return "not retried";
  }
}

}  // namespace

CLI::App* AddRetryCommand(CLI::App& app, RetryFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "retry", "Run dead, failed or cancelled jobs again, with a fresh retry budget");
  command->footer("Find them with `jobq jobs --state dead` (or failed, cancelled).");
  command->add_option("id", flags->ids, "Job ids as printed by jobq submit or jobq jobs")
      ->required();
  command->add_flag("--json", flags->json, "One JSON object per id instead of text");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

std::string FormatRetryLine(const admin::RetryJobResult& result) {
  const std::string message =
      result.message().empty() ? std::string(DefaultMessage(result.outcome())) : result.message();
  return absl::StrCat(JobIdText(result.id()), ": ", OneLine(message, message.size()));
}

std::string FormatRetryJson(const admin::RetryJobResult& result) {
  std::string outcome = "unspecified";
  switch (result.outcome()) {
    case admin::RetryJobResult::OUTCOME_RETRIED:
      outcome = "retried";
      break;
    case admin::RetryJobResult::OUTCOME_UNKNOWN_JOB:
      outcome = "unknown_job";
      break;
    case admin::RetryJobResult::OUTCOME_NOT_FINISHED:
      outcome = "not_finished";
      break;
    case admin::RetryJobResult::OUTCOME_SHUTTING_DOWN:
      outcome = "shutting_down";
      break;
    case admin::RetryJobResult::OUTCOME_WAITS_FOR_PARENTS:
      outcome = "waits_for_parents";
      break;
    default:
      break;
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["id"] = JobIdText(result.id());
  json["outcome"] = outcome;
  if (result.state() != wire::JOB_STATE_UNSPECIFIED) {
    json["state"] = std::string(JobStateName(result.state()));
  }
  json["message"] =
      result.message().empty() ? std::string(DefaultMessage(result.outcome())) : result.message();
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool Retried(const admin::RetryJobResult& result) {
  return result.outcome() == admin::RetryJobResult::OUTCOME_RETRIED;
}

int RunRetry(const RetryFlags& flags, const GlobalFlags& global) {
  absl::StatusOr<std::vector<JobId>> ids = ParseJobIdArgs(flags.ids);
  if (!ids.ok()) {
    PrintError(ids.status().message());
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  bool all_retried = true;
  for (size_t first = 0; first < ids->size(); first += kIdsPerCall) {
    admin::RetryJobsRequest request;
    for (size_t i = first; i < std::min(ids->size(), first + kIdsPerCall); ++i) {
      request.add_ids(std::string((*ids)[i].Bytes()));
    }
    grpc::ClientContext context;
    context.set_deadline(admin->deadline);
    admin::RetryJobsResponse response;
    grpc::Status rpc = admin->stub->RetryJobs(&context, request, &response);
    if (!rpc.ok()) {
      return PrintRpcFailure("RetryJobs", *admin, rpc);
    }
    std::string text;
    for (const admin::RetryJobResult& result : response.results()) {
      all_retried = all_retried && Retried(result);
      absl::StrAppend(&text, flags.json ? FormatRetryJson(result) : FormatRetryLine(result), "\n");
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  return all_retried ? kExitOk : kExitJobsFailed;
}

}  // namespace jobq::cli
