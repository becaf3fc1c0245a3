#pragma once
// One admin RPC as the operator subcommands make it: the command's deadline,
// and on failure the broker's words (or a hint about the token or the
// address) on stderr and the exit status. Shared by the files that
// implement subcommands over the admin service.

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <optional>
#include <string>

#include "producer/cli/admin_commands.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"

namespace jobq::cli {

// The --admin option of every subcommand over the admin service.
inline constexpr char kAdminFlagHelp[] =
    "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)";

inline void PrintStdout(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// One unary call with the command's deadline. nullopt on success; else the
// exit status, after saying what went wrong.
template <typename Request, typename Response, typename Method>
std::optional<int> Call(AdminConnection& admin, const char* rpc, Method method,
                        const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(admin.deadline);
  grpc::Status status = ((*admin.stub).*method)(&context, request, response);
  if (status.ok()) {
    return std::nullopt;
  }
  if (ExitCodeForRpc(status) == kExitAuth) {
    return PrintRpcFailure(rpc, admin, status);  // with a hint about the token
  }
  if (ExitCodeForRpc(status) != kExitUsage ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    PrintError(status.error_message());  // the broker's own words say it all
  } else {
    return PrintRpcFailure(rpc, admin, status);
  }
  return ExitCodeForRpc(status);
}

}  // namespace jobq::cli
