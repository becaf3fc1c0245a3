#pragma once
// `jobq workflow`: workflows (DAGs of jobs) kept by the broker, over the
// admin service.
//
//   jobq workflow show ID [--json] [--nodes-from N] [--nodes N]
//       the workflow, its nodes as a table (name, state, attempts, timing,
//       parents) and, for a small one, as a tree; nodes are fetched 10,000
//       a call, so a workflow of any size prints
//   jobq workflow list [--state running|succeeded|failed|cancelled]
//       [--limit N] [--after ID] [--json]
//   jobq workflow cancel ID [--json]
//       every node not finished: waiting ones at once, running ones
//       stopped by their workers
//   jobq workflow submit ...   (workflow_submit.h; registered by its hook)
//
// Exit status: 0 done; 1 the broker refused (no such workflow, or every
// node has finished already for cancel); 2 usage or connection error, a
// malformed id or state (named on stderr); 3 the admin token was refused.
// Runs on the calling thread.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "producer/cli/global_flags.h"

namespace jobq::cli {

struct WorkflowFlags {
  std::string id;
  std::optional<std::string> state;
  int64_t limit = 100;
  std::string after;
  int64_t nodes_from = 0;
  std::optional<int64_t> nodes;  // unset: every node from nodes_from on
  bool json = false;
  std::string admin;
};

enum class WorkflowAction { kShow, kList, kCancel };

struct WorkflowCommand {
  CLI::App* command = nullptr;  // `jobq workflow`
  CLI::App* actions[3] = {};    // by WorkflowAction
};

// Registers `workflow` and its actions show, list and cancel; `flags` and
// `global` must outlive `app`.
WorkflowCommand AddWorkflowCommand(CLI::App& app, WorkflowFlags* flags, GlobalFlags& global);

// nullopt when none of show, list and cancel was given (another action of
// `workflow` ran: submit); else the exit status.
std::optional<int> RunWorkflow(const WorkflowCommand& command, const WorkflowFlags& flags,
                               const GlobalFlags& global);

}  // namespace jobq::cli
