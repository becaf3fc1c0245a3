#include "producer/cli/schedule_command.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/job_id.h"
#include "producer/cli/admin_call.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/schedule_tables.h"

namespace jobq::cli {
namespace {

struct ActionInfo {
  const char* name;
  const char* help;
};
constexpr ActionInfo kActions[] = {
    {"add", "Add a schedule: the broker creates a job from it at every firing"},
    {"list", "List the schedules: timing, next firing, last job and its state"},
    {"show", "Show one schedule: every field and its next ten firings"},
    {"pause", "Pause a schedule: it fires no more until resumed"},
    {"resume", "Resume a paused schedule: it fires from now on (no catch-up)"},
    {"remove", "Remove a schedule (the jobs it made stay)"},
    {"run", "Create one job from a schedule now, whatever its timing"},
};
static_assert(std::size(kActions) == std::size(ScheduleCommand{}.actions));

// The schedule `jobq schedule add` describes. INVALID_ARGUMENT naming the
// flag; the broker checks the expression and the zone (the tzdata that
// counts is the broker's).
absl::StatusOr<admin::ScheduleSpec> SpecFromFlags(const ScheduleFlags& flags) {
  admin::ScheduleSpec spec;
  spec.set_name(flags.name);
  if (flags.cron.empty() == flags.every.empty()) {
    return absl::InvalidArgumentError(
        "give a schedule either --cron EXPR or --every DURATION (e.g. --every 10s)");
  }
  if (!flags.every.empty()) {
    absl::StatusOr<int64_t> every_ms = ParseDurationMs(flags.every);
    if (!every_ms.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--every ", every_ms.status().message()));
    }
    spec.set_every_ms(*every_ms);
  } else {
    spec.set_cron(flags.cron);
  }
  spec.set_time_zone(flags.time_zone);
  spec.set_overlap(flags.overlap == "skip" ? admin::ScheduleSpec::OVERLAP_SKIP
                                           : admin::ScheduleSpec::OVERLAP_ALLOW);
  spec.set_catch_up(flags.catch_up == "none"  ? admin::ScheduleSpec::CATCH_UP_NONE
                    : flags.catch_up == "all" ? admin::ScheduleSpec::CATCH_UP_ALL
                                              : admin::ScheduleSpec::CATCH_UP_ONE);
  absl::StatusOr<wire::JobSpec> job = JobSpecFromFlags(flags.job, /*now_ms=*/0);
  if (!job.ok()) {
    return job.status();
  }
  *spec.mutable_job() = *std::move(job);
  return spec;
}

void PrintSchedule(const admin::ScheduleInfo& schedule, const ScheduleFlags& flags) {
  PrintStdout(flags.json ? FormatScheduleJson(schedule) + "\n"
                         : FormatScheduleDetail(schedule, WallNowMs()));
}

int Add(AdminConnection& admin, const ScheduleFlags& flags, const admin::ScheduleSpec& spec) {
  admin::AddScheduleRequest request;
  *request.mutable_spec() = spec;
  admin::ScheduleInfo schedule;
  if (auto failed =
          Call(admin, "AddSchedule", &admin::Admin::Stub::AddSchedule, request, &schedule)) {
    return *failed;
  }
  PrintSchedule(schedule, flags);
  return kExitOk;
}

int List(AdminConnection& admin, const ScheduleFlags& flags) {
  admin::ListSchedulesResponse response;
  if (auto failed = Call(admin, "ListSchedules", &admin::Admin::Stub::ListSchedules,
                         admin::ListSchedulesRequest(), &response)) {
    return *failed;
  }
  if (!flags.json) {
    PrintStdout(FormatSchedulesTable(response));
    return kExitOk;
  }
  std::string lines;
  for (const admin::ScheduleInfo& schedule : response.schedules()) {
    absl::StrAppend(&lines, FormatScheduleJson(schedule), "\n");
  }
  PrintStdout(lines);
  return kExitOk;
}

int OnOne(AdminConnection& admin, ScheduleAction action, const ScheduleFlags& flags) {
  admin::ScheduleRequest request;
  request.set_name(flags.name);
  admin::ScheduleInfo schedule;
  std::optional<int> failed;
  switch (action) {
    case ScheduleAction::kShow:
      failed = Call(admin, "GetSchedule", &admin::Admin::Stub::GetSchedule, request, &schedule);
      break;
    case ScheduleAction::kPause:
      failed = Call(admin, "PauseSchedule", &admin::Admin::Stub::PauseSchedule, request, &schedule);
      break;
    case ScheduleAction::kResume:
      failed =
          Call(admin, "ResumeSchedule", &admin::Admin::Stub::ResumeSchedule, request, &schedule);
      break;
    case ScheduleAction::kRemove: {
      admin::RemoveScheduleResponse response;
      if (auto removed = Call(admin, "RemoveSchedule", &admin::Admin::Stub::RemoveSchedule, request,
                              &response)) {
        return *removed;
      }
      PrintStdout(
          flags.json ? nlohmann::ordered_json{{"name", flags.name}, {"removed", true}}.dump() + "\n"
                     : "schedule " + flags.name + " removed (its jobs stay)\n");
      return kExitOk;
    }
    case ScheduleAction::kRun: {
      admin::RunScheduleResponse response;
      if (auto ran =
              Call(admin, "RunSchedule", &admin::Admin::Stub::RunSchedule, request, &response)) {
        return *ran;
      }
      const std::string id = JobIdText(response.job_id());
      PrintStdout(flags.json
                      ? nlohmann::ordered_json{{"name", flags.name}, {"id", id}}.dump() + "\n"
                      : "schedule " + flags.name + ": job " + id + "\n");
      return kExitOk;
    }
    default:
      return kExitUsage;
  }
  if (failed) {
    return *failed;
  }
  PrintSchedule(schedule, flags);
  return kExitOk;
}

}  // namespace

ScheduleCommand AddScheduleCommand(CLI::App& app, ScheduleFlags* flags) {
  ScheduleCommand added;
  added.command =
      app.add_subcommand("schedule",
                         "Schedules kept by the broker: a job at every firing of a cron expression "
                         "or an interval");
  added.command->require_subcommand(1);
  added.command->footer(
      "Examples:\n"
      "  jobq schedule add cleanup --cron '*/5 * * * *' exec --args-json '{\"argv\": [\"true\"]}'\n"
      "  jobq schedule add report --cron '0 9 * * mon-fri' --tz Europe/Berlin report -q ops\n"
      "  jobq schedule add tick --every 10s noop --overlap skip --catch-up none\n"
      "  jobq schedule show report");
  for (size_t i = 0; i < std::size(kActions); ++i) {
    CLI::App* sub = added.command->add_subcommand(kActions[i].name, kActions[i].help);
    added.actions[i] = sub;
    if (static_cast<ScheduleAction>(i) != ScheduleAction::kList) {
      sub->add_option("name", flags->name, "Schedule name (letters, digits, . _ -)")->required();
    }
    sub->add_flag("--json", flags->json, "Print JSON instead of text");
    sub->add_option("--admin", flags->admin, kAdminFlagHelp);
  }
  CLI::App* add = added.actions[static_cast<size_t>(ScheduleAction::kAdd)];
  add->footer(
      "Cron: five fields (minute hour day-of-month month day-of-week) with ranges, steps, lists "
      "and names (*/15, 9-17, mon-fri, jan), or @hourly @daily @weekly @monthly @yearly. "
      "Each firing creates an ordinary job whose idempotency key is jobq:schedule:NAME@MS "
      "(MS: the firing instant, unix milliseconds), so no firing makes two jobs, across broker "
      "crashes and restarts too.");
  CLI::Option* cron = add->add_option("--cron", flags->cron,
                                      "Cron expression, e.g. '*/5 * * * *' or @daily (quote it)");
  add->add_option("--tz", flags->time_zone,
                  "IANA time zone the cron expression is read in, e.g. Europe/Berlin "
                  "(default UTC); daylight saving time as cron does it")
      ->needs(cron);
  add->add_option("--every", flags->every,
                  "Fire at a fixed interval instead (1s to 366d), on multiples of it since the "
                  "unix epoch: --every 1h fires on the hour")
      ->excludes(cron);
  AddJobOptions(add, &flags->job, "--args-json");
  add->get_option("task")->required();
  add->add_option("--overlap", flags->overlap,
                  "allow: every firing makes a job (default); skip: skip a firing while the "
                  "last one's job is still queued or running")
      ->check(CLI::IsMember({"allow", "skip"}));
  add->add_option("--catch-up", flags->catch_up,
                  "Firings the broker was down over (or its clock jumped past): none skips "
                  "them, one (default) makes one job for them all, all makes one each (the "
                  "latest 1,000)")
      ->check(CLI::IsMember({"none", "one", "all"}));
  return added;
}

int RunSchedule(const ScheduleCommand& command, const ScheduleFlags& flags,
                const GlobalFlags& global) {
  std::optional<ScheduleAction> action;
  for (size_t i = 0; i < std::size(command.actions); ++i) {
    if (command.actions[i]->parsed()) {
      action = static_cast<ScheduleAction>(i);
    }
  }
  if (!action) {
    return kExitUsage;  // unreachable: require_subcommand(1)
  }
  if (*action != ScheduleAction::kList && flags.name.empty()) {
    PrintError("a schedule name cannot be empty");
    return kExitUsage;
  }
  // The spec is checked before any connection is made.
  admin::ScheduleSpec spec;
  if (*action == ScheduleAction::kAdd) {
    absl::StatusOr<admin::ScheduleSpec> parsed = SpecFromFlags(flags);
    if (!parsed.ok()) {
      PrintError(parsed.status().message());
      return kExitUsage;
    }
    spec = *std::move(parsed);
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  switch (*action) {
    case ScheduleAction::kAdd:
      return Add(*admin, flags, spec);
    case ScheduleAction::kList:
      return List(*admin, flags);
    default:
      return OnOne(*admin, *action, flags);
  }
}

}  // namespace jobq::cli
