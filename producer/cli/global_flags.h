#pragma once
// Flags every `jobq` subcommand shares, and the helpers the commands use to
// turn them into a client and to report errors the same way. Thread-compatible.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "producer/cli/admin_credentials.h"
#include "producer/client/client.h"

namespace jobq::cli {

// Given before the subcommand (`jobq --broker X submit ...`); each
// subcommand also takes --broker / --admin, which win.
struct GlobalFlags {
  std::string broker;  // empty: not given
  std::string admin;
  double connect_timeout_seconds = 5;
  // CURVE: the broker's .pub (--broker-key, env JOBQ_BROKER_KEY) and this
  // producer's .key (--curve-key, env JOBQ_CURVE_KEY); both or neither.
  std::string broker_key_file;
  std::string curve_key_file;
  // The admin service's token file and TLS (--token-file, --admin-ca,
  // --admin-tls-name; admin_credentials.h reads them with their JOBQ_*
  // variables).
  AdminCredentialFlags admin_credentials;
  // Set by an action that runs from its CLI11 callback during parsing
  // (`jobq workflow submit`, workflow_submit.h): its exit status, which
  // RunCli returns.
  std::optional<int> action_exit_code;
};

// Client options from the flags, JOBQ_BROKER and the defaults, with the
// CURVE keys read from their files. kInvalidArgument for a non-positive
// connect timeout, only one of the two key files, or a bad key file.
absl::StatusOr<ClientOptions> MakeClientOptions(const GlobalFlags& global,
                                                std::string_view command_broker);

// A client for the broker from the flags; nullptr after printing what is
// wrong (a bad flag, or a client that could not start).
std::unique_ptr<Client> ConnectOrReport(const GlobalFlags& global, std::string_view command_broker);

// Writes "jobq: <line>" to stderr for each line of `message`.
void PrintError(absl::string_view message);

// The message for a client failure, with what to do about it: an
// unreachable broker gets a hint on how to point the CLI elsewhere.
std::string DescribeClientFailure(const absl::Status& status);

}  // namespace jobq::cli
