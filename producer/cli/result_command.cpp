#include "producer/cli/result_command.h"

#include <cstdio>

#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_ids.h"
#include "producer/cli/result_output.h"

namespace jobq::cli {

CLI::App* AddResultCommand(CLI::App& app, ResultFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "result", "Print a job's result (or its error, or its state) now, without waiting");
  command->footer(
      "A JSON or text result is printed as it is; --json prints the line `jobq wait` prints,\n"
      "with a binary result as base64. Exit 0 only when the job succeeded.");
  command->add_option("id", flags->id, "Job id as printed by jobq submit")->required();
  command->add_flag("--json", flags->json, "Print one JSON line, as jobq wait does");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

int RunResult(const ResultFlags& flags, const GlobalFlags& global) {
  absl::StatusOr<JobId> id = ParseJobIdArg(flags.id);
  if (!id.ok()) {
    PrintError(id.status().message());
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  grpc::ClientContext context;
  context.set_deadline(admin->deadline);
  admin::GetJobRequest request;
  request.set_id(std::string(id->Bytes()));
  admin::JobInfo job;
  grpc::Status rpc = admin->stub->GetJob(&context, request, &job);
  if (rpc.error_code() == grpc::StatusCode::NOT_FOUND) {
    // Not knowing a job is an answer about it, like a job that failed.
    PrintError(rpc.error_message());
    return kExitJobsFailed;
  }
  if (!rpc.ok()) {
    return PrintRpcFailure("GetJob", *admin, rpc);
  }

  const ResultReport report = RenderResult(job, flags.json);
  std::fwrite(report.out.data(), 1, report.out.size(), stdout);
  std::fflush(stdout);
  if (!report.err.empty()) {
    PrintError(report.err);
  }
  return report.exit_code;
}

}  // namespace jobq::cli
