#pragma once
// `jobq schedule`: schedules kept by the broker, over the admin service.
//
//   jobq schedule add NAME (--cron EXPR [--tz ZONE] | --every DURATION) TASK
//                 [--arg k=v]... [--args-json '{...}'] [-q QUEUE] [--priority N]
//                 [--kind io|cpu] [--timeout S] [--retries N] [--backoff D]
//                 [--overlap allow|skip] [--catch-up none|one|all] [--json]
//   jobq schedule list [--json]
//   jobq schedule show NAME [--json]      every field and the next ten firings
//   jobq schedule pause NAME [--json]
//   jobq schedule resume NAME [--json]
//   jobq schedule remove NAME [--json]    its jobs stay
//   jobq schedule run NAME [--json]       one job now
//
// (--json prints JSON instead of text: so the task arguments' JSON object
// is --args-json here, where `jobq submit` calls it --json.)
//
// Exit status: 0 done; 1 the broker refused (no such schedule, the name is
// taken, already paused or not paused, no room for the job); 2 usage or
// connection error, a bad expression, time zone or job option (named on
// stderr); 3 the admin token was refused. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"
#include "producer/cli/submit_command.h"

namespace jobq::cli {

struct ScheduleFlags {
  std::string name;
  std::string cron;
  std::string time_zone;
  std::string every;
  std::string overlap = "allow";
  std::string catch_up = "one";
  SubmitFlags job;  // the template: task, args and job options
  bool json = false;
  std::string admin;
};

enum class ScheduleAction { kAdd, kList, kShow, kPause, kResume, kRemove, kRun };

struct ScheduleCommand {
  CLI::App* command = nullptr;  // `jobq schedule`
  CLI::App* actions[7] = {};    // by ScheduleAction
};

// Registers `schedule` and its actions; `flags` must outlive `app`.
ScheduleCommand AddScheduleCommand(CLI::App& app, ScheduleFlags* flags);

int RunSchedule(const ScheduleCommand& command, const ScheduleFlags& flags,
                const GlobalFlags& global);

}  // namespace jobq::cli
