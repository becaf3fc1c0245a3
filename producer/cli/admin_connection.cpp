#include "producer/cli/admin_connection.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "producer/cli/addresses.h"
#include "producer/cli/exit_code.h"

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
  absl::StatusOr<AdminCredentials> credentials = ResolveAdminCredentials(
      global.admin_credentials, admin.address, [](const char* name) { return std::getenv(name); });
  if (!credentials.ok()) {
    PrintError(credentials.status().message());
    return std::nullopt;
  }
  admin.credentials = *std::move(credentials);
  grpc::ChannelArguments arguments;
  // A job's result can be far larger than gRPC's default 4 MiB limit.
  arguments.SetMaxReceiveMessageSize(-1);
  admin.channel = CreateAdminChannel(admin.address, admin.credentials, arguments);
  admin.stub = admin::Admin::NewStub(admin.channel);
  admin.deadline = std::chrono::system_clock::now() +
                   std::chrono::milliseconds(std::llround(global.connect_timeout_seconds * 1000.0));
  return admin;
}

int PrintRpcFailure(const char* rpc, const AdminConnection& admin, const grpc::Status& status) {
  // UNAVAILABLE over a live connection is the broker's own answer (its loop
  // is busy), not a missing broker.
  const bool connected = admin.channel->GetState(false) == GRPC_CHANNEL_READY;
  const std::string hint = AdminFailureHint(status, admin.credentials, connected);
  std::string message;
  if (!connected && IsTlsFailure(status)) {
    message = absl::StrCat("the TLS handshake with the broker's admin service at ", admin.address,
                           " failed (", status.error_message(), ").");
  } else if ((status.error_code() == grpc::StatusCode::UNAVAILABLE && !connected) ||
             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    message = absl::StrCat("cannot reach the broker's admin service at ", admin.address, " (",
                           status.error_message(), "): is jobq-broker running? Set --admin or ",
                           kAdminEnv, ".");
  } else {
    message = absl::StrCat(rpc, " failed at ", admin.address, ": ", status.error_message());
  }
  if (!hint.empty()) {
    absl::StrAppend(&message, "\n", hint);
  }
  PrintError(message);
  const bool refused = status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                       status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
  return refused ? kExitAuth : kExitUsage;
}

}  // namespace jobq::cli
