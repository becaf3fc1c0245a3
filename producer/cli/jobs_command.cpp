#include "producer/cli/jobs_command.h"

#include <chrono>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/job_id.h"
#include "common/job_state.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_ids.h"
#include "producer/cli/jobs_table.h"
#include "producer/client/outcome.h"

namespace jobq::cli {
namespace {}  // namespace

CLI::App* AddJobsCommand(CLI::App& app, JobsFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "jobs", "List the broker's jobs, oldest first; e.g. the dead letters: --state dead");
  command->footer(
      "States: blocked (waits for its parents), queued, scheduled, running, succeeded, failed, "
      "dead (retries used up), cancelled.\n"
      "Examples:\n"
      "  jobq jobs --state dead             jobs to look at, then `jobq retry ID`\n"
      "  jobq jobs -q emails --json         one JSON object per job\n"
      "  jobq jobs --limit 50 --after ID    the page after job ID");
  command->add_option("--state", flags->state, "Only jobs in this state");
  command->add_option("-q,--queue", flags->queue, "Only jobs of this queue");
  command->add_option("--task", flags->task, "Only jobs of this task");
  command->add_option("--limit", flags->limit,
                      absl::StrCat("At most this many jobs (default ", kDefaultJobsLimit,
                                   ", at most ", kMaxJobsLimit, ")"));
  command->add_option("--after", flags->after,
                      "Start after this job id (the last one of the previous page)");
  command->add_flag("--json", flags->json, "One JSON object per job instead of a table");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

absl::StatusOr<admin::ListJobsRequest> ListJobsRequestFromFlags(const JobsFlags& flags) {
  admin::ListJobsRequest request;
  if (flags.state) {
    absl::StatusOr<wire::JobState> state = ParseJobStateName(*flags.state);
    if (!state.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--state: ", state.status().message()));
    }
    request.set_state(*state);
  }
  if (flags.limit < 1 || flags.limit > kMaxJobsLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit must be from 1 to ", kMaxJobsLimit, ", got ", flags.limit));
  }
  request.set_limit(static_cast<uint32_t>(flags.limit));
  request.set_queue(flags.queue);
  request.set_task(flags.task);
  if (!flags.after.empty()) {
    absl::StatusOr<JobId> after = ParseJobIdArg(flags.after);
    if (!after.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--after: ", after.status().message()));
    }
    request.set_page_after(std::string(after->Bytes()));
  }
  return request;
}

int RunJobs(const JobsFlags& flags, const GlobalFlags& global) {
  absl::StatusOr<admin::ListJobsRequest> request = ListJobsRequestFromFlags(flags);
  if (!request.ok()) {
    PrintError(request.status().message());
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  // A page can come back short with a next page named (the broker bounds
  // what one page examines): ask on until --limit jobs or the last page.
  std::vector<admin::JobInfo> jobs;
  admin::ListJobsResponse response;
  do {
    request->set_limit(static_cast<uint32_t>(flags.limit - static_cast<int64_t>(jobs.size())));
    if (!response.next_page_after().empty()) {
      request->set_page_after(response.next_page_after());
    }
    grpc::ClientContext context;
    context.set_deadline(admin->deadline);
    response.Clear();
    grpc::Status rpc = admin->stub->ListJobs(&context, *request, &response);
    if (!rpc.ok()) {
      return PrintRpcFailure("ListJobs", *admin, rpc);
    }
    jobs.insert(jobs.end(), response.jobs().begin(), response.jobs().end());
  } while (static_cast<int64_t>(jobs.size()) < flags.limit && !response.next_page_after().empty());

  std::string text;
  if (flags.json) {
    for (const admin::JobInfo& job : jobs) {
      absl::StrAppend(&text, FormatJobLine(job), "\n");
    }
  } else if (jobs.empty()) {
    text = "no jobs match\n";
  } else {
    text = FormatJobsTable(jobs, WallNowMs());
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (!response.next_page_after().empty()) {
    // On stderr, so that --json output stays one job per line.
    PrintError(absl::StrCat("more jobs follow: add --after ", JobIdText(response.next_page_after()),
                            " for the next page"));
  }
  return kExitOk;
}

}  // namespace jobq::cli
