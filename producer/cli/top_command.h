#pragma once
// `jobq top [--interval SECONDS]`: a live view of the broker that redraws
// on every WatchStatus snapshot (producer/cli/top_screen.h). On a
// terminal it uses the alternate screen, hides the cursor and reads keys
// without echo; `q` or Ctrl-C (or SIGTERM) ends it, and the terminal is
// restored whatever the way out. Without a terminal it prints each frame
// as plain text. Exit 0 when asked to quit; 2 when the broker cannot be
// reached or the stream breaks (the message comes after the terminal is
// restored). Runs on the calling thread plus one thread reading the stream.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct TopFlags {
  double interval_seconds = 1.0;
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddTopCommand(CLI::App& app, TopFlags* flags);

// kInvalidArgument unless 0.1 <= seconds <= 60.
absl::Status CheckTopInterval(double seconds);

int RunTop(const TopFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
