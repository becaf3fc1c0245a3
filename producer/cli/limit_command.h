#pragma once
// `jobq limit` and `jobq limits`: rate limits and concurrency caps, global
// in the broker (SetLimit, ClearLimit, ListLimits):
//
//   jobq limit QUEUE [--task NAME] [--rate 100/s|6000/min|10/h] [--burst N]
//              [--concurrency N] [--json]     sets the whole limit
//   jobq limit QUEUE [--task NAME] --clear    removes it
//   jobq limits [--json]                      lists every limit and its state
//
// Every argument is checked before anything is sent, so a bad one changes
// nothing. Exit status: 0 done; 1 the broker refused (--clear of a limit it
// does not have); 2 usage error (a malformed or out-of-range rate, burst or
// cap, --burst without --rate, neither --rate nor --concurrency, --clear
// with either) or connection error; 3 the admin token was refused.
// Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "jobq/admin.pb.h"
#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct LimitFlags {
  std::string queue;
  std::string task;
  std::string rate;
  std::string burst;  // text, so that "-3" is called negative, not malformed
  std::string concurrency;
  bool clear = false;
  bool json = false;
  std::string admin;
};

struct LimitsFlags {
  bool json = false;
  std::string admin;
};

// Register the subcommands; the flags must outlive `app`.
CLI::App* AddLimitCommand(CLI::App& app, LimitFlags* flags);
CLI::App* AddLimitsCommand(CLI::App& app, LimitsFlags* flags);

// The SetLimitRequest `flags` asks for (or the ClearLimitRequest's fields,
// with --clear), or INVALID_ARGUMENT saying what is wrong and what to write.
absl::StatusOr<admin::SetLimitRequest> LimitRequestFrom(const LimitFlags& flags);

int RunLimit(const LimitFlags& flags, const GlobalFlags& global);
int RunLimits(const LimitsFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
