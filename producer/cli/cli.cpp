#include "producer/cli/cli.h"

#include <CLI/CLI.hpp>

#include "common/flag_values.h"
#include "producer/cli/admin_commands.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/global_flags.h"
#include "producer/cli/jobs_command.h"
#include "producer/cli/keygen_command.h"
#include "producer/cli/limit_command.h"
#include "producer/cli/result_command.h"
#include "producer/cli/retry_command.h"
#include "producer/cli/schedule_command.h"
#include "producer/cli/sentinel_command.h"
#include "producer/cli/shutdown_command.h"
#include "producer/cli/status_command.h"
#include "producer/cli/submit_command.h"
#include "producer/cli/top_command.h"
#include "producer/cli/wait_command.h"
#include "producer/cli/workflow_command.h"

namespace jobq::cli {

int RunCli(int argc, char** argv) {
  CLI::App app(
      "jobq: submit jobs to a jobq broker, wait for their outcomes, and inspect the broker.\n"
      "Exit status: 0 success, 1 some job was rejected or did not succeed, 2 usage or "
      "connection error, 3 the broker refused the admin token (missing, unknown, or "
      "read-only).",
      "jobq");
  // help2man reads "NAME VERSION" for the man page (cmake/ManPages.cmake).
  app.set_version_flag("--version", std::string("jobq ") + JOBQ_VERSION);
  app.require_subcommand(1);
  // Lets the global options also follow the subcommand
  // (`jobq submit noop --connect-timeout 1`); subcommands inherit it.
  app.fallthrough();

  GlobalFlags global;
  app.add_option(
      "--broker", global.broker,
      "Broker frontend, or each frontend of brokers sharing a store, comma-separated (env "
      "JOBQ_BROKER, default tcp://127.0.0.1:5555)");
  app.add_option("--admin", global.admin,
                 "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  app.add_option("--connect-timeout", global.connect_timeout_seconds,
                 "Seconds to wait for the broker to answer before giving up (default 5)");
  // No ->envname: admin_credentials.cpp reads the variables, so that
  // JOBQ_TOKEN can come before JOBQ_TOKEN_FILE while the flag beats both.
  app.add_option("--token-file", global.admin_credentials.token_file,
                 "Admin token: the first line of FILE (env JOBQ_TOKEN holds the token itself, "
                 "JOBQ_TOKEN_FILE names a file); needed when the broker has --admin-tokens");
  app.add_option("--admin-ca", global.admin_credentials.ca_file,
                 "Admin service over TLS, trusting this PEM CA or self-signed certificate "
                 "(env JOBQ_ADMIN_CA)");
  app.add_option("--admin-tls-name", global.admin_credentials.tls_name,
                 "Name the broker's TLS certificate must carry, when not the host of --admin "
                 "(env JOBQ_ADMIN_TLS_NAME)");
  app.add_option("--broker-key", global.broker_key_file,
                 "CURVE: the broker's public key file, broker.pub (env JOBQ_BROKER_KEY); with "
                 "--curve-key")
      ->envname("JOBQ_BROKER_KEY");
  app.add_option("--curve-key", global.curve_key_file,
                 "CURVE: this producer's key pair file, NAME.key from `jobq keygen NAME` (env "
                 "JOBQ_CURVE_KEY); with --broker-key")
      ->envname("JOBQ_CURVE_KEY");

  SubmitFlags submit_flags;
  WaitFlags wait_flags;
  StatusFlags status_flags;
  SentinelFlags sentinel_flags;
  ShutdownFlags shutdown_flags;
  JobsFlags jobs_flags;
  ResultFlags result_flags;
  RetryFlags retry_flags;
  CLI::App* submit = AddSubmitCommand(app, &submit_flags);
  CLI::App* wait = AddWaitCommand(app, &wait_flags);
  CLI::App* status = AddStatusCommand(app, &status_flags);
  CLI::App* sentinel = AddSentinelCommand(app, &sentinel_flags);
  CLI::App* shutdown = AddShutdownCommand(app, &shutdown_flags);
  CLI::App* jobs = AddJobsCommand(app, &jobs_flags);
  CLI::App* result = AddResultCommand(app, &result_flags);
  CLI::App* retry = AddRetryCommand(app, &retry_flags);
  TopFlags top_flags;
  CLI::App* top = AddTopCommand(app, &top_flags);
  KeygenFlags keygen_flags;
  CLI::App* keygen = AddKeygenCommand(app, &keygen_flags);
  ScheduleFlags schedule_flags;
  const ScheduleCommand schedule = AddScheduleCommand(app, &schedule_flags);
  // The operator commands (admin_commands.h), one flags struct each.
  constexpr AdminCommand kAdminCommands[] = {
      AdminCommand::kQueues, AdminCommand::kWorkers, AdminCommand::kJob,    AdminCommand::kCancel,
      AdminCommand::kPurge,  AdminCommand::kPause,   AdminCommand::kResume, AdminCommand::kDrain,
  };
  AdminCommandFlags admin_flags[std::size(kAdminCommands)];
  CLI::App* admin_commands[std::size(kAdminCommands)];
  for (size_t i = 0; i < std::size(kAdminCommands); ++i) {
    admin_commands[i] = AddAdminCommand(app, kAdminCommands[i], &admin_flags[i]);
  }

  LimitFlags limit_flags;
  CLI::App* limit = AddLimitCommand(app, &limit_flags);
  LimitsFlags limits_flags;
  CLI::App* limits = AddLimitsCommand(app, &limits_flags);
  WorkflowFlags workflow_flags;
  const WorkflowCommand workflow = AddWorkflowCommand(app, &workflow_flags, global);

  RequireFlagValues(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints help (exit code 0) or the error; every error is a usage error here.
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }
  // An action that ran from its callback during parsing (`jobq workflow
  // submit`, issue 18).
  if (global.action_exit_code) {
    return *global.action_exit_code;
  }
  if (keygen->parsed()) {
    return RunKeygen(keygen_flags);
  }
  if (submit->parsed()) {
    return RunSubmit(submit_flags, global);
  }
  if (wait->parsed()) {
    return RunWait(wait_flags, global);
  }
  if (status->parsed()) {
    return RunStatus(status_flags, global);
  }
  if (sentinel->parsed()) {
    return RunSentinel(sentinel_flags, global);
  }
  if (shutdown->parsed()) {
    return RunShutdown(shutdown_flags, global);
  }
  if (jobs->parsed()) {
    return RunJobs(jobs_flags, global);
  }
  if (result->parsed()) {
    return RunResult(result_flags, global);
  }
  if (retry->parsed()) {
    return RunRetry(retry_flags, global);
  }
  if (top->parsed()) {
    return RunTop(top_flags, global);
  }
  if (schedule.command->parsed()) {
    return RunSchedule(schedule, schedule_flags, global);
  }
  if (limit->parsed()) {
    return RunLimit(limit_flags, global);
  }
  if (limits->parsed()) {
    return RunLimits(limits_flags, global);
  }
  if (workflow.command->parsed()) {
    if (std::optional<int> exit_code = RunWorkflow(workflow, workflow_flags, global)) {
      return *exit_code;
    }
  }
  for (size_t i = 0; i < std::size(kAdminCommands); ++i) {
    if (admin_commands[i]->parsed()) {
      return RunAdminCommand(kAdminCommands[i], admin_flags[i], global);
    }
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace jobq::cli
