#include "producer/cli/sentinel_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "producer/cli/exit_code.h"
#include "producer/client/client.h"

namespace jobq::cli {

CLI::App* AddSentinelCommand(CLI::App& app, SentinelFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "sentinel",
      "Put a sentinel behind the jobs accepted so far: workers of the queue drain and stop");
  command->add_option("-q,--queue", flags->queue, "Queue to end (default: default)");
  command->add_flag("--json", flags->json,
                    "Accepted for symmetry with the other commands: the output is JSON already");
  command->add_option(
      "--broker", flags->broker,
      "Broker frontend, or each frontend of brokers sharing a store, comma-separated (env "
      "JOBQ_BROKER, default tcp://127.0.0.1:5555)");
  return command;
}

int RunSentinel(const SentinelFlags& flags, const GlobalFlags& global) {
  if (flags.queue.empty()) {
    PrintError("a queue name cannot be empty; leave out -q for the queue \"default\"");
    return kExitUsage;
  }
  std::unique_ptr<Client> client = ConnectOrReport(global, flags.broker);
  if (client == nullptr) {
    return kExitUsage;
  }
  absl::Status sent = client->SendSentinel(flags.queue);
  if (!sent.ok()) {
    PrintError(DescribeClientFailure(sent));
    return kExitUsage;
  }
  std::printf("%s\n", nlohmann::json{{"sentinel", flags.queue}}.dump().c_str());
  return kExitOk;
}

}  // namespace jobq::cli
