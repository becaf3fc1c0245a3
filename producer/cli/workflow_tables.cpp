#include "producer/cli/workflow_tables.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/job_id.h"
#include "common/job_state.h"
#include "common/workflow_state.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/jobs_table.h"
#include "producer/cli/status_table.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

// Parents shown by name in the table; a chord's callback has thousands.
constexpr int kParentsShown = 3;
constexpr size_t kErrorBytes = 60;

bool IsFinished(wire::JobState state) {
  return state == wire::JOB_STATE_SUCCEEDED || state == wire::JOB_STATE_FAILED ||
         state == wire::JOB_STATE_DEAD || state == wire::JOB_STATE_CANCELLED;
}

uint64_t FinishedNodes(const admin::WorkflowInfo& workflow) {
  uint64_t finished = 0;
  for (const admin::WorkflowStateCount& count : workflow.counts()) {
    if (IsFinished(count.state())) {
      finished += count.nodes();
    }
  }
  return finished;
}

std::string AgoOrDash(int64_t then_ms, int64_t now_ms) {
  return then_ms == 0 ? "-" : FormatDuration(now_ms - then_ms) + " ago";
}

// "queued 3, running 1" in the enum's order.
std::string CountsText(const admin::WorkflowInfo& workflow) {
  std::vector<std::string> parts;
  for (const admin::WorkflowStateCount& count : workflow.counts()) {
    parts.push_back(absl::StrCat(std::string(JobStateName(count.state())), " ", count.nodes()));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string ParentsCell(const admin::WorkflowNodeInfo& node) {
  std::vector<std::string> names(node.after().begin(), node.after().end());
  for (const std::string& id : node.after_jobs()) {
    names.push_back(JobIdText(id));
  }
  if (names.empty()) {
    return "-";
  }
  const size_t total = names.size();
  if (total > static_cast<size_t>(kParentsShown) + 1) {
    names.resize(kParentsShown);
    return absl::StrCat(absl::StrJoin(names, ","), " +", total - kParentsShown, " more");
  }
  return absl::StrJoin(names, ",");
}

std::string DurationCell(const admin::WorkflowNodeInfo& node, int64_t now_ms) {
  if (node.started_ms() == 0) {
    return "-";
  }
  if (node.finished_ms() != 0) {
    return FormatNodeDuration(node.finished_ms() - node.started_ms());
  }
  if (node.state() == wire::JOB_STATE_RUNNING) {
    return FormatNodeDuration(now_ms - node.started_ms()) + " so far";
  }
  return "-";
}

std::string NodeErrorCell(const admin::WorkflowNodeInfo& node) {
  if (!node.has_error() || (node.error().type().empty() && node.error().message().empty())) {
    return "-";
  }
  return OneLine(ErrorSummary(node.error()), kErrorBytes);
}

std::string_view ParentFailureName(wire::ParentFailure failure) {
  return failure == wire::PARENT_FAILURE_RUN ? "run" : "cancel";
}

Json NodeJson(const admin::WorkflowNodeInfo& node) {
  Json json = Json::object();
  json["name"] = node.name();
  json["job_id"] = JobIdText(node.job_id());
  json["task"] = node.task();
  json["queue"] = node.queue();
  json["state"] = std::string(JobStateName(node.state()));
  json["attempts"] = node.attempts();
  json["after"] = std::vector<std::string>(node.after().begin(), node.after().end());
  Json after_jobs = Json::array();
  for (const std::string& id : node.after_jobs()) {
    after_jobs.push_back(JobIdText(id));
  }
  json["after_jobs"] = std::move(after_jobs);
  json["on_parent_failure"] = std::string(ParentFailureName(node.on_parent_failure()));
  json["submitted_ms"] = node.submitted_ms();
  json["started_ms"] = node.started_ms();
  json["finished_ms"] = node.finished_ms();
  if (node.has_error() && (!node.error().type().empty() || !node.error().message().empty())) {
    json["error"] = {{"type", node.error().type()}, {"message", node.error().message()}};
  }
  return json;
}

}  // namespace

std::string FormatNodeDuration(int64_t ms) {
  if (ms < 0) {
    ms = 0;
  }
  if (ms < 1000) {
    return absl::StrCat(ms, "ms");
  }
  if (ms < 60'000) {
    return absl::StrFormat("%.1fs", static_cast<double>(ms) / 1000.0);
  }
  return FormatDuration(ms);
}

std::string FormatWorkflowsTable(const std::vector<admin::WorkflowInfo>& workflows,
                                 int64_t now_ms) {
  if (workflows.empty()) {
    return "no workflows\n";
  }
  std::vector<TableRow> rows = {
      {"WORKFLOW", "NAME", "STATE", "NODES", "FINISHED", "CREATED", "ENDED"}};
  for (const admin::WorkflowInfo& workflow : workflows) {
    rows.push_back(
        {JobIdText(workflow.id()), workflow.name().empty() ? "-" : OneLine(workflow.name(), 40),
         std::string(WorkflowStateName(workflow.state())), absl::StrCat(workflow.node_count()),
         absl::StrCat(FinishedNodes(workflow), "/", workflow.node_count()),
         AgoOrDash(workflow.created_ms(), now_ms), AgoOrDash(workflow.finished_ms(), now_ms)});
  }
  return FormatTable(rows);
}

std::string FormatWorkflowSummary(const admin::WorkflowInfo& workflow, int64_t now_ms) {
  std::vector<TableRow> rows;
  rows.push_back({"workflow", JobIdText(workflow.id())});
  if (!workflow.name().empty()) {
    rows.push_back({"name", OneLine(workflow.name(), 200)});
  }
  rows.push_back({"state", std::string(WorkflowStateName(workflow.state()))});
  rows.push_back({"nodes", absl::StrCat(workflow.node_count(), " (", CountsText(workflow), ")")});
  if (workflow.created_ms() != 0) {
    rows.push_back({"created", FormatWhen(workflow.created_ms(), now_ms)});
  }
  if (workflow.finished_ms() != 0) {
    rows.push_back({"finished", FormatWhen(workflow.finished_ms(), now_ms)});
    if (workflow.created_ms() != 0) {
      rows.push_back({"took", FormatNodeDuration(workflow.finished_ms() - workflow.created_ms())});
    }
  }
  if (workflow.expires_ms() != 0) {
    rows.push_back({"expires", FormatWhen(workflow.expires_ms(), now_ms)});
  }
  return FormatTable(rows);
}

std::string FormatWorkflowNodesTable(const std::vector<admin::WorkflowNodeInfo>& nodes,
                                     int64_t now_ms) {
  std::vector<TableRow> rows = {
      {"NODE", "STATE", "ATTEMPTS", "STARTED", "DURATION", "PARENTS", "JOB", "ERROR"}};
  rows.reserve(nodes.size() + 1);
  for (const admin::WorkflowNodeInfo& node : nodes) {
    rows.push_back({node.name(), std::string(JobStateName(node.state())),
                    absl::StrCat(node.attempts()), AgoOrDash(node.started_ms(), now_ms),
                    DurationCell(node, now_ms), ParentsCell(node), JobIdText(node.job_id()),
                    NodeErrorCell(node)});
  }
  return FormatTable(rows);
}

std::string FormatWorkflowTree(const std::vector<admin::WorkflowNodeInfo>& nodes) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) {
    index.emplace(nodes[i].name(), i);
  }
  std::vector<std::vector<size_t>> children(nodes.size());
  std::vector<bool> has_parent(nodes.size(), false);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& parent : nodes[i].after()) {
      auto found = index.find(parent);
      if (found != index.end()) {
        children[found->second].push_back(i);
        has_parent[i] = true;
      }
    }
  }
  // Drawn depth first with a stack of its own: a chain of thousands
  // nests no deeper in this function than a single node.
  struct Pending {
    size_t node;
    std::string prefix;  // what the lines of its children start with
    std::string branch;  // what its own line starts with
  };
  std::vector<bool> drawn(nodes.size(), false);
  std::string out;
  auto draw_from = [&](size_t root) {
    std::vector<Pending> stack = {{root, "", ""}};
    while (!stack.empty()) {
      Pending at = std::move(stack.back());
      stack.pop_back();
      const admin::WorkflowNodeInfo& node = nodes[at.node];
      absl::StrAppend(&out, at.branch, node.name());
      if (drawn[at.node]) {
        absl::StrAppend(&out, " (above)\n");
        continue;
      }
      drawn[at.node] = true;
      absl::StrAppend(&out, "  ", std::string(JobStateName(node.state())), "\n");
      const std::vector<size_t>& kids = children[at.node];
      // Pushed last first, so that they come off the stack in order.
      for (size_t k = kids.size(); k-- > 0;) {
        const bool last = k + 1 == kids.size();
        stack.push_back(
            {kids[k], at.prefix + (last ? "   " : "|  "), at.prefix + (last ? "`- " : "|- ")});
      }
    }
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!has_parent[i]) {
      draw_from(i);
    }
  }
  // Only a cycle would leave a node out; the broker refuses those, but the
  // tree still shows every node it was given.
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!drawn[i]) {
      draw_from(i);
    }
  }
  return out;
}

std::string FormatWorkflowJson(const admin::WorkflowInfo& workflow,
                               const std::vector<admin::WorkflowNodeInfo>& nodes, bool with_nodes) {
  Json json = Json::object();
  json["id"] = JobIdText(workflow.id());
  json["name"] = workflow.name();
  json["state"] = std::string(WorkflowStateName(workflow.state()));
  json["node_count"] = workflow.node_count();
  Json counts = Json::object();
  for (const admin::WorkflowStateCount& count : workflow.counts()) {
    counts[std::string(JobStateName(count.state()))] = count.nodes();
  }
  json["counts"] = std::move(counts);
  json["created_ms"] = workflow.created_ms();
  json["finished_ms"] = workflow.finished_ms();
  json["expires_ms"] = workflow.expires_ms();
  if (with_nodes) {
    Json array = Json::array();
    for (const admin::WorkflowNodeInfo& node : nodes) {
      array.push_back(NodeJson(node));
    }
    json["nodes"] = std::move(array);
  }
  // Names and messages are arbitrary bytes: invalid UTF-8 is replaced
  // rather than allowed to abort the dump.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string FormatWorkflowCancelLine(const std::string& id_bytes,
                                     const admin::CancelWorkflowResponse& response) {
  const uint32_t running = response.cancel_requested();
  return absl::StrCat("workflow ", JobIdText(id_bytes), ": ", response.cancelled(),
                      response.cancelled() == 1 ? " node" : " nodes", " cancelled, ", running,
                      running == 1 ? " running node" : " running nodes",
                      " told to stop (they end cancelled)");
}

std::string FormatWorkflowCancelJson(const std::string& id_bytes,
                                     const admin::CancelWorkflowResponse& response) {
  Json json = Json::object();
  json["id"] = JobIdText(id_bytes);
  json["cancelled"] = response.cancelled();
  json["cancel_requested"] = response.cancel_requested();
  return json.dump();
}

}  // namespace jobq::cli
