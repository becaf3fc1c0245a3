#pragma once
// `jobq result ID [--json]`: the outcome of one job, from the broker's admin
// service (GetJob), without waiting: the result of a succeeded job, the
// error of a failed, dead or cancelled one, or the state of one still
// moving (producer/cli/result_output.h says how each is printed).
// Exit status: 0 the job succeeded; 1 it did not, has not finished yet, or
// the broker does not know it (never submitted, or its result expired);
// 2 usage error (a malformed id, found before connecting) or unreachable
// broker. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct ResultFlags {
  std::string id;
  bool json = false;
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddResultCommand(CLI::App& app, ResultFlags* flags);

int RunResult(const ResultFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
