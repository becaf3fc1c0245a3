#include "producer/cli/shutdown_command.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "jobq/admin.grpc.pb.h"
#include "producer/cli/addresses.h"
#include "producer/cli/exit_code.h"

namespace jobq::cli {

CLI::App* AddShutdownCommand(CLI::App& app, ShutdownFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "shutdown", "Stop the broker: drain (sentinel every queue, wait for the workers) or --now");
  command->add_flag("--now", flags->now,
                    "Stop at once; workers reconnect when a broker is back");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

int RunShutdown(const ShutdownFlags& flags, const GlobalFlags& global) {
  const std::string address =
      ResolveAddress(flags.admin, global.admin, std::getenv(kAdminEnv), kDefaultAdminAddress);
  if (!std::isfinite(global.connect_timeout_seconds) || global.connect_timeout_seconds <= 0) {
    PrintError("--connect-timeout must be a positive number of seconds");
    return kExitUsage;
  }
  auto stub = admin::Admin::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(
                           std::llround(global.connect_timeout_seconds * 1000.0)));
  admin::ShutdownRequest request;
  request.set_mode(flags.now ? admin::ShutdownRequest::MODE_NOW
                             : admin::ShutdownRequest::MODE_DRAIN);
  admin::ShutdownResponse response;
  grpc::Status rpc = stub->Shutdown(&context, request, &response);
  if (!rpc.ok()) {
    if (rpc.error_code() == grpc::StatusCode::UNAVAILABLE ||
        rpc.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      PrintError(absl::StrCat("cannot reach the broker's admin service at ", address, " (",
                              rpc.error_message(), "): is jobq-broker running? Set --admin or ",
                              kAdminEnv, "."));
    } else {
      PrintError(absl::StrCat("Shutdown failed at ", address, ": ", rpc.error_message()));
    }
    return kExitUsage;
  }
  std::printf("%s\n", response.message().c_str());
  return kExitOk;
}

}  // namespace jobq::cli
