#include "producer/cli/limit_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "broker/core/rate_limit.h"
#include "producer/cli/admin_call.h"
#include "producer/cli/admin_commands.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/limits_table.h"

namespace jobq::cli {
CLI::App* AddLimitCommand(CLI::App& app, LimitFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "limit",
      "Set (or --clear) the rate limit and/or concurrency cap of a queue, or of one task's jobs "
      "in it, global across all workers");
  command->footer(
      "Each call sets the whole limit: what it does not give is removed. Rates: 100/s, "
      "6000/min, 10/h, 0.5/s (at most 3 decimals, up to 1000000/s). The burst defaults to one "
      "second's worth (at least 1). A held-back queue shows as limited in jobq queues.");
  command->add_option("queue", flags->queue, "Queue name")->required();
  command->add_option("--task", flags->task, "Limit only this task's jobs in the queue");
  command->add_option("--rate", flags->rate, "Jobs started per unit of time: N/s, N/min or N/h");
  command->add_option("--burst", flags->burst,
                      "Jobs that may start at once after a quiet spell (with --rate)");
  command->add_option("--concurrency", flags->concurrency,
                      "Jobs of the queue (or task) running at once, at most");
  command->add_flag("--clear", flags->clear, "Remove the limit");
  command->add_flag("--json", flags->json, "Print JSON instead of text");
  command->add_option("--admin", flags->admin, kAdminFlagHelp);
  return command;
}

CLI::App* AddLimitsCommand(CLI::App& app, LimitsFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "limits", "List the rate limits and concurrency caps: running jobs, tokens, limited or not");
  command->add_flag("--json", flags->json, "One JSON object per limit instead of a table");
  command->add_option("--admin", flags->admin, kAdminFlagHelp);
  return command;
}

absl::StatusOr<admin::SetLimitRequest> LimitRequestFrom(const LimitFlags& flags) {
  if (flags.queue.empty()) {
    return absl::InvalidArgumentError("a queue name cannot be empty");
  }
  if (!flags.clear && !flags.burst.empty() && flags.rate.empty()) {
    return absl::InvalidArgumentError(
        "--burst is the size of a rate limit's bucket: give --rate with it");
  }
  if (flags.clear) {
    if (!flags.rate.empty() || !flags.burst.empty() || !flags.concurrency.empty()) {
      return absl::InvalidArgumentError(
          "--clear removes the limit: give it without --rate, --burst or --concurrency");
    }
  } else if (flags.rate.empty() && flags.concurrency.empty()) {
    return absl::InvalidArgumentError(
        "give --rate (e.g. 100/s), --concurrency N, or both; --clear removes a limit");
  }
  admin::SetLimitRequest request;
  request.set_queue(flags.queue);
  request.set_task(flags.task);
  if (!flags.rate.empty()) {
    absl::StatusOr<broker::core::RateSpec> rate = broker::core::ParseRate(flags.rate);
    if (!rate.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--rate: ", rate.status().message()));
    }
    request.set_rate(flags.rate);
  }
  if (!flags.burst.empty()) {
    if (flags.rate.empty()) {
      return absl::InvalidArgumentError(
          "--burst is the size of a rate limit's bucket: give --rate with it");
    }
    absl::StatusOr<int64_t> burst = broker::core::ParseBurst(flags.burst);
    if (!burst.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--burst: ", burst.status().message()));
    }
    request.set_burst(static_cast<uint64_t>(*burst));
  }
  if (!flags.concurrency.empty()) {
    absl::StatusOr<int64_t> cap = broker::core::ParseConcurrency(flags.concurrency);
    if (!cap.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--concurrency: ", cap.status().message()));
    }
    request.set_concurrency(static_cast<uint64_t>(*cap));
  }
  return request;
}

int RunLimit(const LimitFlags& flags, const GlobalFlags& global) {
  absl::StatusOr<admin::SetLimitRequest> request = LimitRequestFrom(flags);
  if (!request.ok()) {
    PrintError(request.status().message());
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  if (flags.clear) {
    admin::ClearLimitRequest clear;
    clear.set_queue(request->queue());
    clear.set_task(request->task());
    admin::ClearLimitResponse response;
    if (auto failed =
            Call(*admin, "ClearLimit", &admin::Admin::Stub::ClearLimit, clear, &response)) {
      return *failed;
    }
    if (flags.json) {
      nlohmann::ordered_json json = {{"queue", clear.queue()}};
      if (!clear.task().empty()) {
        json["task"] = clear.task();
      }
      json["cleared"] = true;
      PrintStdout(json.dump() + "\n");
    } else {
      PrintStdout(absl::StrCat("queue ", clear.queue(),
                               clear.task().empty() ? "" : absl::StrCat(", task ", clear.task()),
                               ": limit cleared\n"));
    }
    return kExitOk;
  }
  admin::SetLimitResponse response;
  if (auto failed = Call(*admin, "SetLimit", &admin::Admin::Stub::SetLimit, *request, &response)) {
    return *failed;
  }
  PrintStdout((flags.json ? FormatLimitJson(response.limit()) : FormatLimitLine(response.limit())) +
              "\n");
  return kExitOk;
}

int RunLimits(const LimitsFlags& flags, const GlobalFlags& global) {
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  admin::ListLimitsResponse response;
  if (auto failed = Call(*admin, "ListLimits", &admin::Admin::Stub::ListLimits,
                         admin::ListLimitsRequest(), &response)) {
    return *failed;
  }
  if (flags.json) {
    std::string text;
    for (const admin::Limit& limit : response.limits()) {
      absl::StrAppend(&text, FormatLimitJson(limit), "\n");
    }
    PrintStdout(text);
  } else {
    PrintStdout(FormatLimitsTable(response));
  }
  return kExitOk;
}

}  // namespace jobq::cli
