#pragma once
// `jobq wait ID...`: waits for jobs submitted earlier and prints one
// outcome line per job as each finishes (producer/cli/output_lines.h);
// "unknown" for an id the broker does not know. Exit status as in
// producer/cli/exit_code.h; a malformed id is a usage error (exit 2) found
// before anything is sent. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct WaitFlags {
  std::vector<std::string> ids;
  std::string broker;
  // Also show the jobs' progress (admin WatchJob): a bar per job on stderr
  // when it is a terminal, else a JSON line per change on stdout, before
  // each job's outcome line.
  bool progress = false;
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddWaitCommand(CLI::App& app, WaitFlags* flags);

int RunWait(const WaitFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
