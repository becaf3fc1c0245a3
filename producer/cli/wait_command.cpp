#include "producer/cli/wait_command.h"

#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/output_lines.h"
#include "producer/client/client.h"
#include "producer/client/completion_queue.h"

namespace jobq::cli {

CLI::App* AddWaitCommand(CLI::App& app, WaitFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "wait", "Wait for jobs by id; print one outcome line per job as each finishes");
  command->add_option("id", flags->ids, "Job ids as printed by jobq submit")->required();
  command->add_option("--broker", flags->broker,
                      "Broker frontend (env JOBQ_BROKER, default tcp://127.0.0.1:5555)");
  return command;
}

int RunWait(const WaitFlags& flags, const GlobalFlags& global) {
  // Every id is checked before connecting, so a typo costs no round trip.
  std::vector<JobId> ids;
  std::set<JobId> seen;
  for (const std::string& text : flags.ids) {
    std::optional<JobId> id = JobId::Parse(text);
    if (!id) {
      PrintError(
          absl::StrCat("malformed job id '", text,
                       "': expected 32 hex digits, e.g. 0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"));
      return kExitUsage;
    }
    if (seen.insert(*id).second) {
      ids.push_back(*id);  // each job is reported once, however often it is named
    }
  }
  std::unique_ptr<Client> client = ConnectOrReport(global, flags.broker);
  if (client == nullptr) {
    return kExitUsage;
  }

  CompletionQueue completions;
  client->Wait(ids, &completions);
  RunTally tally;
  absl::Status status;
  while (std::optional<Future> future = completions.Next()) {
    absl::StatusOr<Outcome> outcome = future->Result();
    if (!outcome.ok()) {
      status = outcome.status();  // the client failed: every other future fails the same way
      break;
    }
    tally.CountOutcome(*outcome);
    const std::string line = FormatOutcomeLine(*outcome);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  if (!status.ok()) {
    PrintError(DescribeClientFailure(status));
  }
  return tally.ExitCode(status);
}

}  // namespace jobq::cli
