#pragma once
// `jobq jobs [--state S] [--queue Q] [--task T] [--limit N] [--after ID] [--json]`:
// lists the broker's jobs, oldest first, through the admin service
// (ListJobs) — for instance the dead letters: `jobq jobs --state dead`.
// A table (producer/cli/jobs_table.h) or JSON lines; when more jobs
// follow, how to ask for them (`--after` the last id shown). Exit 0, or 2
// for a usage error (found before connecting) or an unreachable broker.
// Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "jobq/admin.pb.h"
#include "producer/cli/global_flags.h"

namespace jobq::cli {

inline constexpr int64_t kDefaultJobsLimit = 100;
inline constexpr int64_t kMaxJobsLimit = 10'000;

struct JobsFlags {
  std::optional<std::string> state;
  std::string queue;
  std::string task;
  int64_t limit = kDefaultJobsLimit;
  std::string after;
  bool json = false;
  std::string admin;
};

// Registers the subcommand; `flags` must outlive `app`.
CLI::App* AddJobsCommand(CLI::App& app, JobsFlags* flags);

// The request the flags describe. kInvalidArgument naming the flag (a bad
// --state lists the valid names).
absl::StatusOr<admin::ListJobsRequest> ListJobsRequestFromFlags(const JobsFlags& flags);

int RunJobs(const JobsFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
