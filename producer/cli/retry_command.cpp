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
