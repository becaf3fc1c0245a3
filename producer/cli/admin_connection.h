#pragma once
// The admin-service side of the CLI: the address from flags/env/default, a
// stub, the call deadline from --connect-timeout, and one way of reporting a
// failed RPC. Shared by the admin subcommands. Thread-compatible.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "jobq/admin.grpc.pb.h"
#include "producer/cli/admin_credentials.h"
#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct AdminConnection {
  std::string address;
  AdminCredentials credentials;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<admin::Admin::Stub> stub;
  std::chrono::system_clock::time_point deadline;  // for the whole command
};

// nullopt after printing what is wrong (a bad --connect-timeout, an
// unreadable token or CA file).
std::optional<AdminConnection> OpenAdmin(const GlobalFlags& global,
                                         const std::string& command_admin);

// Prints why `rpc` failed, with what to do about it (nobody answered, the
// TLS handshake failed, the token was refused), and returns the exit
// status: kExitAuth for UNAUTHENTICATED and PERMISSION_DENIED, else
// kExitUsage.
[[nodiscard]] int PrintRpcFailure(const char* rpc, const AdminConnection& admin,
                                  const grpc::Status& status);

}  // namespace jobq::cli
