#include "producer/cli/workflow_command.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/job_id.h"
#include "common/workflow_state.h"
#include "producer/cli/admin_call.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/workflow_submit.h"
#include "producer/cli/workflow_tables.h"

namespace jobq::cli {
namespace {

// What the broker gives at most per call (GetWorkflow's node_limit,
// ListWorkflows' limit).
constexpr int64_t kNodesPerCall = 10'000;
constexpr int64_t kMaxWorkflowsListed = 10'000;

struct WorkflowActionInfo {
  const char* name;
  const char* help;
};
constexpr WorkflowActionInfo kWorkflowActions[] = {
    {"show",
     "Show a workflow: its state, and each node's state, attempts, timing and parents (a small "
     "one also as a tree)"},
    {"list", "List the workflows the broker keeps, oldest first"},
    {"cancel",
     "Cancel every node of a workflow not finished yet: waiting ones at once, running ones are "
     "stopped by their workers"},
};
static_assert(std::size(kWorkflowActions) == std::size(WorkflowCommand{}.actions));

absl::StatusOr<JobId> ParseWorkflowIdArg(std::string_view text, std::string_view what) {
  if (std::optional<JobId> id = JobId::Parse(text)) {
    return *id;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", std::string(what), " '", std::string(text),
                   "': expected the 36-character id jobq printed for the workflow, e.g. "
                   "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"));
}

// Checks what can be checked before any connection is made.
absl::Status CheckWorkflowFlags(WorkflowAction action, const WorkflowFlags& flags) {
  if (action == WorkflowAction::kList) {
    if (flags.state) {
      absl::StatusOr<admin::WorkflowState> state = ParseWorkflowStateName(*flags.state);
      if (!state.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--state: ", state.status().message()));
      }
    }
    if (flags.limit < 1 || flags.limit > kMaxWorkflowsListed) {
      return absl::InvalidArgumentError(
          absl::StrCat("--limit must be from 1 to ", kMaxWorkflowsListed, ", got ", flags.limit));
    }
    if (!flags.after.empty()) {
      absl::StatusOr<JobId> after = ParseWorkflowIdArg(flags.after, "--after workflow id");
      if (!after.ok()) {
        return after.status();
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<JobId> id = ParseWorkflowIdArg(flags.id, "workflow id");
  if (!id.ok()) {
    return id.status();
  }
  if (flags.nodes_from < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--nodes-from must be 0 or more, got ", flags.nodes_from));
  }
  if (flags.nodes && *flags.nodes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--nodes must be 0 or more, got ", *flags.nodes));
  }
  return absl::OkStatus();
}

int ShowWorkflow(AdminConnection& admin, const WorkflowFlags& flags, const JobId& id) {
  admin::GetWorkflowRequest request;
  request.set_id(std::string(id.Bytes()));
  admin::WorkflowInfo workflow;
  std::vector<admin::WorkflowNodeInfo> nodes;
  int64_t offset = flags.nodes_from;
  int64_t wanted = flags.nodes.value_or(INT64_MAX);
  bool first = true;
  // The first call brings the workflow and the first page; the others the
  // following pages, until enough nodes or the last one.
  while (first || (wanted > 0 && offset < static_cast<int64_t>(workflow.node_count()))) {
    request.set_node_offset(static_cast<uint32_t>(std::min<int64_t>(offset, UINT32_MAX)));
    // 0 would be the broker's default page; --nodes 0 wants the head only.
    request.set_node_limit(static_cast<uint32_t>(std::clamp<int64_t>(wanted, 1, kNodesPerCall)));
    admin::WorkflowInfo page;
    if (auto failed =
            Call(admin, "GetWorkflow", &admin::Admin::Stub::GetWorkflow, request, &page)) {
      return *failed;
    }
    const int64_t got = std::min<int64_t>(page.nodes_size(), wanted);
    nodes.insert(nodes.end(), page.nodes().begin(), page.nodes().begin() + got);
    offset += got;
    wanted -= got;
    if (first) {
      workflow = std::move(page);
      workflow.clear_nodes();
      first = false;
    }
    if (got == 0) {
      break;
    }
  }
  if (flags.json) {
    PrintStdout(FormatWorkflowJson(workflow, nodes, /*with_nodes=*/true) + "\n");
    return kExitOk;
  }
  const int64_t now_ms = WallNowMs();
  std::string text = FormatWorkflowSummary(workflow, now_ms) + "\n";
  const int64_t total = workflow.node_count();
  if (!nodes.empty()) {
    text += FormatWorkflowNodesTable(nodes, now_ms);
  } else if (!flags.nodes || *flags.nodes > 0) {
    absl::StrAppend(&text, "no nodes from ", flags.nodes_from, " on (it has ", total, ")\n");
  }
  const bool whole = flags.nodes_from == 0 && static_cast<int64_t>(nodes.size()) == total;
  if (whole && total > 0 && total <= static_cast<int64_t>(kWorkflowTreeNodesMax)) {
    text += "\n" + FormatWorkflowTree(nodes);
  }
  PrintStdout(text);
  if (!nodes.empty() && offset < total) {
    // On stderr, so that stdout stays the table.
    PrintError(absl::StrCat("nodes ", flags.nodes_from, " to ", offset - 1, " of ", total,
                            " shown: add --nodes-from ", offset, " for the next ones"));
  }
  return kExitOk;
}

int ListWorkflows(AdminConnection& admin, const WorkflowFlags& flags) {
  admin::ListWorkflowsRequest request;
  if (flags.state) {
    request.set_state_name(*flags.state);
  }
  if (!flags.after.empty()) {
    request.set_page_after(std::string(JobId::Parse(flags.after)->Bytes()));
  }
  // A page may come back short with a next page named (the broker bounds
  // what one page examines): ask on until --limit workflows or the last page.
  std::vector<admin::WorkflowInfo> workflows;
  admin::ListWorkflowsResponse response;
  do {
    request.set_limit(static_cast<uint32_t>(flags.limit - static_cast<int64_t>(workflows.size())));
    if (!response.next_page_after().empty()) {
      request.set_page_after(response.next_page_after());
    }
    response.Clear();
    if (auto failed =
            Call(admin, "ListWorkflows", &admin::Admin::Stub::ListWorkflows, request, &response)) {
      return *failed;
    }
    workflows.insert(workflows.end(), response.workflows().begin(), response.workflows().end());
  } while (static_cast<int64_t>(workflows.size()) < flags.limit &&
           !response.next_page_after().empty());

  std::string text;
  if (flags.json) {
    for (const admin::WorkflowInfo& workflow : workflows) {
      absl::StrAppend(&text, FormatWorkflowJson(workflow, {}, /*with_nodes=*/false), "\n");
    }
  } else {
    text = FormatWorkflowsTable(workflows, WallNowMs());
  }
  PrintStdout(text);
  if (!response.next_page_after().empty()) {
    PrintError(absl::StrCat("more workflows follow: add --after ",
                            JobIdText(response.next_page_after()), " for the next page"));
  }
  return kExitOk;
}

int CancelWorkflow(AdminConnection& admin, const WorkflowFlags& flags, const JobId& id) {
  admin::CancelWorkflowRequest request;
  request.set_id(std::string(id.Bytes()));
  admin::CancelWorkflowResponse response;
  if (auto failed =
          Call(admin, "CancelWorkflow", &admin::Admin::Stub::CancelWorkflow, request, &response)) {
    return *failed;
  }
  PrintStdout((flags.json ? FormatWorkflowCancelJson(request.id(), response)
                          : FormatWorkflowCancelLine(request.id(), response)) +
              "\n");
  return kExitOk;
}

}  // namespace

WorkflowCommand AddWorkflowCommand(CLI::App& app, WorkflowFlags* flags, GlobalFlags& global) {
  WorkflowCommand added;
  added.command = app.add_subcommand(
      "workflow",
      "Workflows kept by the broker: DAGs of jobs, each node run once its parents "
      "have succeeded");
  added.command->require_subcommand(1);
  for (size_t i = 0; i < std::size(kWorkflowActions); ++i) {
    CLI::App* sub =
        added.command->add_subcommand(kWorkflowActions[i].name, kWorkflowActions[i].help);
    added.actions[i] = sub;
    if (static_cast<WorkflowAction>(i) != WorkflowAction::kList) {
      sub->add_option("id", flags->id, "Workflow id, as jobq printed it when it was submitted")
          ->required();
    }
    sub->add_flag("--json", flags->json, "Print JSON instead of text");
    sub->add_option("--admin", flags->admin, kAdminFlagHelp);
  }
  // After the actions: each would inherit it.
  added.command->footer(
      "Examples:\n"
      "  jobq workflow list --state running\n"
      "  jobq workflow show 0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f\n"
      "  jobq workflow show 0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f --nodes-from 10000 --nodes 500\n"
      "  jobq workflow cancel 0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f");
  CLI::App* show = added.actions[static_cast<size_t>(WorkflowAction::kShow)];
  show->add_option("--nodes-from", flags->nodes_from,
                   "Start at this node, in the order they were submitted (default 0)");
  show->add_option("--nodes", flags->nodes,
                   "At most this many nodes (default: all of them, fetched 10,000 at a time; "
                   "0: the workflow alone)");
  show->footer(
      "The table has a row per node: NODE, STATE, ATTEMPTS, STARTED, DURATION, PARENTS, JOB "
      "(its job id, for jobq job), ERROR. A workflow of at most 40 nodes is also drawn as a tree "
      "from its roots; a node with several parents is drawn under the first and named under the "
      "others. --json prints one object with a \"nodes\" array.");
  CLI::App* list = added.actions[static_cast<size_t>(WorkflowAction::kList)];
  list->add_option("--state", flags->state,
                   "Only workflows in this state: running, succeeded, failed, cancelled");
  list->add_option(
      "--limit", flags->limit,
      absl::StrCat("At most this many workflows (default 100, at most ", kMaxWorkflowsListed, ")"));
  list->add_option("--after", flags->after,
                   "Start after this workflow id (the last one of the previous page)");
  list->footer("--json prints one object per workflow, without its nodes.");
  added.actions[static_cast<size_t>(WorkflowAction::kCancel)]->footer(
      "Exit status 1 when the broker does not know the workflow, or when every node has "
      "finished already (nothing is changed then).");
  // Runs from its own callback during parsing (workflow_submit.h).
  AddWorkflowSubmitAction(*added.command, global);
  return added;
}

std::optional<int> RunWorkflow(const WorkflowCommand& command, const WorkflowFlags& flags,
                               const GlobalFlags& global) {
  std::optional<WorkflowAction> action;
  for (size_t i = 0; i < std::size(command.actions); ++i) {
    if (command.actions[i]->parsed()) {
      action = static_cast<WorkflowAction>(i);
    }
  }
  if (!action) {
    return std::nullopt;
  }
  if (absl::Status valid = CheckWorkflowFlags(*action, flags); !valid.ok()) {
    PrintError(valid.message());
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  switch (*action) {
    case WorkflowAction::kShow:
      return ShowWorkflow(*admin, flags, *JobId::Parse(flags.id));
    case WorkflowAction::kList:
      return ListWorkflows(*admin, flags);
    case WorkflowAction::kCancel:
      return CancelWorkflow(*admin, flags, *JobId::Parse(flags.id));
  }
  return kExitUsage;
}

}  // namespace jobq::cli
