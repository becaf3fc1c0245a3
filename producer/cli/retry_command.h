#pragma once
// `jobq retry ID...`: runs dead, failed or cancelled jobs again, through
// the broker's admin service (RetryJobs). One line per id on stdout,
// "ID: retried: ..." or "ID: not retried: why" (a job cancelled for its
// parent's failure: retry that parent). Exit status: 0 every job
// was retried, 1 some was not, 2 usage error (a malformed id, found
// before anything is sent) or unreachable broker. Runs on the calling
// thread.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "jobq/admin.pb.h"
#include "producer/cli/global_flags.h"
#include "producer/cli/retry_lines.h"

namespace jobq::cli {

struct RetryFlags {
  std::vector<std::string> ids;
  bool json = false;
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddRetryCommand(CLI::App& app, RetryFlags* flags);

bool Retried(const admin::RetryJobResult& result);

int RunRetry(const RetryFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
