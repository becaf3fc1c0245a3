#pragma once
// `jobq status [--json]`: asks the broker's admin service (gRPC GetStatus)
// and prints a human summary (producer/cli/status_table.h), or with --json
// the response as JSON with the proto's field names. An unreachable admin
// service is exit 2 with a message; a broker that answers "not ready yet"
// is asked again until --connect-timeout. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct StatusFlags {
  bool json = false;
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddStatusCommand(CLI::App& app, StatusFlags* flags);

int RunStatus(const StatusFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
