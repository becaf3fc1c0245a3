#pragma once
// `jobq workflow submit`: a workflow file (producer/cli/workflow_file.h) to
// the broker in one WORKFLOW message, created whole or not at all.
//
//   jobq workflow submit FILE|- [--wait] [--json] [--name NAME] [--broker B]
//
// The file is checked whole first: any problem, each named with its node
// and field, and nothing is sent (exit 2). Prints the workflow's id and
// each node's name and job id, as a table or with --json one object:
//   {"id":"…","name":"…","nodes":[{"name":"fetch","id":"…"},…]}
// With --wait, once every node has finished, each node's outcome (--json:
// "state", "attempts", "result" or "error" per node, and the workflow's
// "state", "succeeded" or "failed").
//
// Exit status, as `jobq submit --wait`: 0 accepted (with --wait: every node
// succeeded); 1 the broker refused the workflow (its reason on stderr) or
// some node did not succeed; 2 a usage, file or connection error. Runs on
// the calling thread.

#include <CLI/CLI.hpp>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct WorkflowSubmitFlags {
  std::string file;  // "-" is stdin
  std::string name;  // replaces the file's "name"
  bool wait = false;
  bool json = false;
  std::string broker;
};

// Adds the `submit` action to the `workflow` subcommand. When the command
// line gives it, parsing runs it (its CLI11 callback, once every flag, the
// global ones included, has been read) and leaves its exit status in
// globals.action_exit_code, for RunCli to return. `globals` must outlive
// `workflow`.
void AddWorkflowSubmitAction(CLI::App& workflow, GlobalFlags& globals);

// The action itself.
int RunWorkflowSubmit(const WorkflowSubmitFlags& flags, const GlobalFlags& global);

}  // namespace jobq::cli
