#include "broker/core/workflow_plan.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_depth.h"

namespace jobq::broker::core {
namespace {

absl::Status Refuse(const std::string& node, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("node \"", node, "\" ", why));
}

// A cycle among the nodes Kahn's walk could not order: follow parents from
// one of them until a node repeats, and name that loop.
std::string DescribeCycle(const wire::SubmitWorkflow& workflow, const WorkflowPlan& plan,
                          const std::vector<uint32_t>& unresolved) {
  uint32_t start = 0;
  while (unresolved[start] == 0) {
    ++start;
  }
  std::vector<int64_t> seen_at(plan.parents.size(), -1);
  std::vector<uint32_t> path;
  uint32_t at = start;
  while (seen_at[at] < 0) {
    seen_at[at] = static_cast<int64_t>(path.size());
    path.push_back(at);
    // A parent still unordered: one exists, or `at` would have been ordered.
    for (uint32_t parent : plan.parents[at]) {
      if (unresolved[parent] != 0) {
        at = parent;
        break;
      }
    }
  }
  std::vector<std::string> names;
  for (size_t i = static_cast<size_t>(seen_at[at]); i < path.size(); ++i) {
    names.push_back(workflow.nodes(static_cast<int>(path[i])).name());
  }
  names.push_back(workflow.nodes(static_cast<int>(at)).name());
  // Walked from child to parent; said the way the work would flow.
  std::reverse(names.begin(), names.end());
  return absl::StrJoin(names, " -> ");
}

}  // namespace

std::string CheckNodeName(std::string_view name) {
  if (name.empty() || name.size() > kNodeNameBytesMax) {
    return absl::StrCat("a node name is 1 to ", kNodeNameBytesMax, " characters");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return "a node name has only letters, digits and . _ -";
    }
  }
  return "";
}

std::string CheckChildPayload(const wire::JobSpec& spec) {
  if (!spec.content_type().empty() && spec.content_type() != "application/json") {
    return absl::StrCat("has parents, so its payload must be a JSON object (it gains \"",
                        std::string(kInputsKey), "\"), not ", spec.content_type());
  }
  if (spec.payload().empty()) {
    return "";
  }
  nlohmann::json payload;
  if (absl::Status parsed = ParseJsonBounded(spec.payload(), &payload); !parsed.ok()) {
    return absl::StrCat("has parents, so its payload must be a JSON object: ", parsed.message());
  }
  if (!payload.is_object()) {
    return absl::StrCat("has parents, so its payload must be a JSON object (it gains \"",
                        std::string(kInputsKey), "\"), not a ", payload.type_name());
  }
  for (std::string_view key : {kInputsKey, kUpstreamErrorsKey}) {
    if (payload.contains(key)) {
      return absl::StrCat("has parents, so its payload may not set \"", std::string(key),
                          "\": the broker adds it from the parents' outcomes");
    }
  }
  return "";
}

std::string CheckParentIds(const wire::JobSpec& spec) {
  if (static_cast<size_t>(spec.after_size()) > kJobParentsMax) {
    return absl::StrCat("after names ", spec.after_size(), " jobs; the limit is ", kJobParentsMax,
                        " (a workflow has no such limit)");
  }
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& id : spec.after()) {
    if (id.size() != 16) {
      return absl::StrCat("after holds an id of ", id.size(), " bytes; a job id is 16 bytes");
    }
    if (!seen.insert(id).second) {
      return "after names the same job twice";
    }
  }
  return "";
}

absl::StatusOr<WorkflowPlan> PlanWorkflow(const wire::SubmitWorkflow& workflow, size_t nodes_max) {
  const size_t count = static_cast<size_t>(workflow.nodes_size());
  if (count == 0) {
    return absl::InvalidArgumentError("a workflow needs at least one node");
  }
  if (count > nodes_max) {
    return absl::InvalidArgumentError(
        absl::StrCat("the workflow has ", count, " nodes; the limit is ", nodes_max,
                     " (--workflow-max): split it, or raise the limit"));
  }
  absl::flat_hash_map<std::string_view, uint32_t> index;
  index.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const wire::WorkflowNode& node = workflow.nodes(static_cast<int>(i));
    if (std::string bad = CheckNodeName(node.name()); !bad.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", i, " (\"", node.name(), "\"): ", bad));
    }
    auto [it, inserted] = index.emplace(node.name(), static_cast<uint32_t>(i));
    if (!inserted) {
      return Refuse(node.name(), absl::StrCat("appears twice (nodes ", it->second, " and ", i,
                                              "); names are unique in a workflow"));
    }
  }

  WorkflowPlan plan;
  plan.parents.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const wire::WorkflowNode& node = workflow.nodes(static_cast<int>(i));
    const wire::JobSpec& job = node.job();
    if (job.task().empty()) {
      return Refuse(node.name(), "has no task");
    }
    if (job.sentinel()) {
      return Refuse(node.name(),
                    "asks for a sentinel; a workflow's nodes cannot (send SENTINEL after it)");
    }
    if (!job.idempotency_key().empty()) {
      return Refuse(node.name(),
                    "has an idempotency key; a workflow is deduplicated whole, by its "
                    "submit_token");
    }
    if (std::string bad = CheckParentIds(job); !bad.empty()) {
      return Refuse(node.name(), bad);
    }
    std::vector<uint32_t>& parents = plan.parents[i];
    parents.reserve(static_cast<size_t>(node.after_size()));
    absl::flat_hash_set<uint32_t> named;
    for (const std::string& parent : node.after()) {
      auto found = index.find(parent);
      if (found == index.end()) {
        return Refuse(node.name(), absl::StrCat("waits for \"", parent,
                                                "\", which is not a node of this workflow"));
      }
      if (found->second == i) {
        return Refuse(node.name(), "waits for itself");
      }
      if (!named.insert(found->second).second) {
        return Refuse(node.name(), absl::StrCat("names \"", parent, "\" twice in after"));
      }
      parents.push_back(found->second);
    }
    if (!parents.empty() || job.after_size() > 0) {
      if (std::string bad = CheckChildPayload(job); !bad.empty()) {
        return Refuse(node.name(), bad);
      }
    }
  }

  // Kahn's walk: what it cannot order lies on, or behind, a cycle.
  std::vector<uint32_t> unresolved(count);
  std::vector<std::vector<uint32_t>> children(count);
  for (size_t i = 0; i < count; ++i) {
    unresolved[i] = static_cast<uint32_t>(plan.parents[i].size());
    for (uint32_t parent : plan.parents[i]) {
      children[parent].push_back(static_cast<uint32_t>(i));
    }
  }
  std::vector<uint32_t> ready;
  for (size_t i = 0; i < count; ++i) {
    if (unresolved[i] == 0) {
      ready.push_back(static_cast<uint32_t>(i));
    }
  }
  size_t ordered = 0;
  while (!ready.empty()) {
    const uint32_t node = ready.back();
    ready.pop_back();
    ++ordered;
    for (uint32_t child : children[node]) {
      if (--unresolved[child] == 0) {
        ready.push_back(child);
      }
    }
  }
  if (ordered != count) {
    return absl::InvalidArgumentError(
        absl::StrCat("the workflow has a cycle: ", DescribeCycle(workflow, plan, unresolved)));
  }
  return plan;
}

}  // namespace jobq::broker::core
