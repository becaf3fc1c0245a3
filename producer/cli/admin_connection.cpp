#include "producer/cli/admin_connection.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "producer/cli/addresses.h"

namespace jobq::cli {

std::optional<AdminConnection> OpenAdmin(const GlobalFlags& global,
                                         const std::string& command_admin) {
  if (!std::isfinite(global.connect_timeout_seconds) || global.connect_timeout_seconds <= 0) {
    PrintError("--connect-timeout must be a positive number of seconds");
    return std::nullopt;
  }
  AdminConnection admin;
  admin.address =
      ResolveAddress(command_admin, global.admin, std::getenv(kAdminEnv), kDefaultAdminAddress);
  grpc::ChannelArguments arguments;
  // A job's result can be far larger than gRPC's default 4 MiB limit.
  arguments.SetMaxReceiveMessageSize(-1);
  admin.channel =
      grpc::CreateCustomChannel(admin.address, grpc::InsecureChannelCredentials(), arguments);
  admin.stub = admin::Admin::NewStub(admin.channel);
  admin.deadline = std::chrono::system_clock::now() +
                   std::chrono::milliseconds(std::llround(global.connect_timeout_seconds * 1000.0));
  return admin;
}

void PrintRpcFailure(const char* rpc, const AdminConnection& admin, const grpc::Status& status) {
  // UNAVAILABLE over a live connection is the broker's own answer (its loop
  // is busy), not a missing broker.
  const bool connected = admin.channel->GetState(false) == GRPC_CHANNEL_READY;
  if ((status.error_code() == grpc::StatusCode::UNAVAILABLE && !connected) ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    PrintError(absl::StrCat("cannot reach the broker's admin service at ", admin.address, " (",
                            status.error_message(), "): is jobq-broker running? Set --admin or ",
                            kAdminEnv, "."));
  } else {
    PrintError(absl::StrCat(rpc, " failed at ", admin.address, ": ", status.error_message()));
  }
}

}  // namespace jobq::cli
