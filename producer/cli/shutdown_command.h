#pragma once
// `jobq shutdown [--now]`: asks the broker to stop (gRPC Shutdown). By
// default it drains: every queue gets a sentinel, the workers finish what
// they hold and exit, then the broker exits. `--now` stops the broker at
// once; its workers reconnect when a broker is back. Prints what happens
// next; exit 2 when the admin service cannot be reached. Runs on the
// calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct ShutdownFlags {
  bool now = false;
  bool json = false;  // {"message":"…","workers_draining":N}
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddShutdownCommand(CLI::App& app, ShutdownFlags* flags);

int RunShutdown(const ShutdownFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
