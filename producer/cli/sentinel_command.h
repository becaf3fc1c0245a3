#pragma once
// `jobq sentinel [-q QUEUE]`: puts a sentinel into QUEUE behind every job
// accepted so far (DESIGN.md §5). When dispatch reaches it, every worker
// serving the queue finishes what it holds and stops taking its jobs; a
// worker left with no queue exits 0. Prints {"sentinel": QUEUE} once the
// broker acknowledged it. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct SentinelFlags {
  bool json = false;  // accepted for symmetry: the output is JSON already
  std::string queue = "default";
  std::string broker;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddSentinelCommand(CLI::App& app, SentinelFlags* flags);

int RunSentinel(const SentinelFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
