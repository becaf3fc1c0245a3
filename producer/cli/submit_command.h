#pragma once
// `jobq submit`: one job from flags, or many from a JSON Lines file or
// stdin, optionally waiting for their outcomes (DESIGN.md §10a).
//
//   jobq submit TASK [--arg k=v]... [--json '{...}'] [-q QUEUE] [--priority N]
//               [--kind io|cpu] [--timeout SECONDS] [--retries N] [--backoff DURATION]
//               [--key KEY] [--delay DURATION | --at RFC3339]
//               [--after ID[,ID]... [--on-parent-failure cancel|run]]
//               [--wait] [--sentinel]
//   jobq submit --file FILE|- [--wait]
//
// The input is validated whole before anything is sent: one bad line and
// nothing is submitted (exit 2, every bad line named). stdin (`-`) and
// pipes are copied to a temporary file first (producer/cli/job_input.h),
// so their jobs go out once the input has ended.
//
// stdout gets the lines of producer/cli/output_lines.h; stderr a progress
// bar when it is a terminal, and errors. Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "jobq/wire.pb.h"
#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct SubmitFlags {
  std::string task;
  std::vector<std::string> args;
  std::optional<std::string> json;
  std::string queue;
  int32_t priority = 0;
  std::optional<std::string> kind;
  std::optional<double> timeout_seconds;
  std::optional<int64_t> retries;
  std::string backoff;  // a duration: 500ms, 2s, 1m
  std::string key;
  std::string delay;  // a duration from now: 30s, 5m
  std::string at;     // an RFC 3339 time: 2026-12-24T18:00:00Z
  bool wait = false;
  bool sentinel = false;
  std::string file;
  std::string broker;
  // Parents (jobq submit only): job ids it waits for, and what it does
  // when one does not succeed ("cancel" or "run").
  std::vector<std::string> after;
  std::string on_parent_failure;
};

// Registers the subcommand; `flags` receives its values and must outlive `app`.
CLI::App* AddSubmitCommand(CLI::App& app, SubmitFlags* flags);

// The TASK positional and the options that describe a job (--arg, the
// arguments' JSON object under `args_json_flag`, -q, --priority, --kind,
// --timeout, --retries, --backoff): shared with `jobq schedule add`.
void AddJobOptions(CLI::App* command, SubmitFlags* flags, const std::string& args_json_flag);

// The job `jobq submit TASK ...` describes; --delay counts from `now_ms`
// (the wall clock, without it). kInvalidArgument naming the flag when a
// value is unusable.
absl::StatusOr<wire::JobSpec> JobSpecFromFlags(const SubmitFlags& flags, TimeMs now_ms);
inline absl::StatusOr<wire::JobSpec> JobSpecFromFlags(const SubmitFlags& flags) {
  return JobSpecFromFlags(flags, WallNowMs());
}

// Runs the parsed command; returns the exit status.
int RunSubmit(const SubmitFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
