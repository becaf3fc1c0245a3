#include "producer/cli/shutdown_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"

namespace jobq::cli {

CLI::App* AddShutdownCommand(CLI::App& app, ShutdownFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "shutdown", "Stop the broker: drain (sentinel every queue, wait for the workers) or --now");
  command->add_flag("--now", flags->now, "Stop at once; workers reconnect when a broker is back");
  command->add_flag("--json", flags->json,
                    "Print {\"message\":…,\"workers_draining\":N} instead of text");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

int RunShutdown(const ShutdownFlags& flags, const GlobalFlags& global) {
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  grpc::ClientContext context;
  context.set_deadline(admin->deadline);
  admin::ShutdownRequest request;
  request.set_mode(flags.now ? admin::ShutdownRequest::MODE_NOW
                             : admin::ShutdownRequest::MODE_DRAIN);
  admin::ShutdownResponse response;
  grpc::Status rpc = admin->stub->Shutdown(&context, request, &response);
  if (!rpc.ok()) {
    return PrintRpcFailure("Shutdown", *admin, rpc);
  }
  if (flags.json) {
    std::printf("%s\n", nlohmann::ordered_json{{"message", response.message()},
                                               {"workers_draining", response.workers_draining()}}
                            .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                            .c_str());
  } else {
    std::printf("%s\n", response.message().c_str());
  }
  return kExitOk;
}

}  // namespace jobq::cli
