#include "producer/cli/wait_command.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_progress_view.h"
#include "producer/cli/output_lines.h"
#include "producer/client/client.h"
#include "producer/client/completion_queue.h"

namespace jobq::cli {

CLI::App* AddWaitCommand(CLI::App& app, WaitFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "wait", "Wait for jobs by id; print one outcome line per job as each finishes");
  command->add_option("id", flags->ids, "Job ids as printed by jobq submit")->required();
  command->add_option(
      "--broker", flags->broker,
      "Broker frontend, or each frontend of brokers sharing a store, comma-separated (env "
      "JOBQ_BROKER, default tcp://127.0.0.1:5555)");
  command->add_flag("--progress", flags->progress,
                    "Show each job's progress: a bar per job on a terminal (stderr), else one "
                    "JSON line per change on stdout before the job's outcome line");
  command->add_option("--admin", flags->admin,
                      "Broker admin address, for --progress (env JOBQ_ADMIN, default "
                      "127.0.0.1:50051)");
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

  // --progress: the admin streams feed a view; outcome lines still come
  // from the frontend, each after its job's stream ended (so after its last
  // progress line).
  std::optional<AdminConnection> admin;
  std::mutex output_mutex;
  std::optional<JobProgressBars> bars;
  std::unique_ptr<JobWatchers> watchers;
  if (flags.progress) {
    admin = OpenAdmin(global, flags.admin);
    if (!admin) {
      return kExitUsage;
    }
    if (isatty(STDERR_FILENO)) {
      bars.emplace(stderr, ids);
      bars->Redraw();
    }
    watchers = std::make_unique<JobWatchers>(
        *admin, ids,
        [&](const admin::JobInfo& job) {
          std::lock_guard lock(output_mutex);
          if (bars) {
            bars->Update(job);
            return;
          }
          const std::string line = FormatProgressJsonLine(job) + "\n";
          std::fwrite(line.data(), 1, line.size(), stdout);
          std::fflush(stdout);
        },
        [&](const JobId& id, const grpc::Status& failed) {
          std::lock_guard lock(output_mutex);
          if (bars) {
            bars->Clear();
          }
          PrintError(absl::StrCat("no progress for ", id.ToString(), ": ", failed.error_message(),
                                  " (admin ", admin->address, ")"));
          if (bars) {
            bars->Redraw();
          }
        });
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
    if (watchers) {
      // The stream ends right after the finished job; a slow admin path
      // does not hold the outcome back for long.
      watchers->AwaitEnd(outcome->id, std::chrono::seconds(2));
    }
    tally.CountOutcome(*outcome);
    const std::string line = FormatOutcomeLine(*outcome);
    std::lock_guard lock(output_mutex);
    if (bars) {
      bars->Clear();
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (bars) {
      bars->Redraw();
    }
  }
  watchers.reset();  // cancels the streams of jobs the loop above gave up on
  if (!status.ok()) {
    PrintError(DescribeClientFailure(status));
  }
  return tally.ExitCode(status);
}

}  // namespace jobq::cli
