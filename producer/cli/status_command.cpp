#include "producer/cli/status_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "jobq/admin.grpc.pb.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/status_table.h"

namespace jobq::cli {
namespace {

constexpr std::chrono::milliseconds kRetryDelay(50);

}  // namespace

CLI::App* AddStatusCommand(CLI::App& app, StatusFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "status", "Show the broker's counters, queues and workers (admin service)");
  command->add_flag("--json", flags->json, "Print the GetStatus response as JSON");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

int RunStatus(const StatusFlags& flags, const GlobalFlags& global) {
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  const auto deadline = admin->deadline;
  admin::GetStatusRequest request;
  admin::GetStatusResponse response;
  grpc::Status rpc;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(deadline);
    rpc = admin->stub->GetStatus(&context, request, &response);
    // UNAVAILABLE over a live connection is the broker itself saying it is
    // not ready yet (still starting): ask again until the deadline. Without
    // a connection nobody is there, and saying so at once is more useful.
    const bool broker_answered = admin->channel->GetState(false) == GRPC_CHANNEL_READY;
    if (rpc.error_code() != grpc::StatusCode::UNAVAILABLE || !broker_answered ||
        std::chrono::system_clock::now() + kRetryDelay >= deadline) {
      break;
    }
    std::this_thread::sleep_for(kRetryDelay);
  }
  if (!rpc.ok()) {
    return PrintRpcFailure("GetStatus", *admin, rpc);
  }

  std::string text;
  if (flags.json) {
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;  // a zero counter is still a counter
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(response, &text, options).ok()) {
      PrintError("cannot render the status as JSON");
      return kExitUsage;
    }
    text += '\n';
  } else {
    text = FormatStatusTable(response);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace jobq::cli
