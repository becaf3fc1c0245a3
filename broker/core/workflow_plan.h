#pragma once
// The checks of a SUBMIT_WORKFLOW that need nothing but the message: node
// names, edges by name, cycles, the size bound, and what a node with
// parents must send as its payload. Each refusal names the node. Pure;
// thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// Default of --workflow-max: nodes in one workflow.
inline constexpr size_t kWorkflowNodesMaxDefault = 100'000;
// Node names: what docs/protocol.md promises ("Workflows").
inline constexpr size_t kNodeNameBytesMax = 200;
// Parents a plain SUBMIT's job may name in JobSpec.after (a workflow's
// nodes are bounded by the workflow's size instead).
inline constexpr size_t kJobParentsMax = 10'000;

// The keys the broker adds to a child's payload; a node may not send them.
inline constexpr std::string_view kInputsKey = "inputs";
inline constexpr std::string_view kUpstreamErrorsKey = "upstream_errors";

struct WorkflowPlan {
  // For node i, the indices of its parents in the workflow, in the order
  // its `after` names them.
  std::vector<std::vector<uint32_t>> parents;
};

// INVALID_ARGUMENT with a message naming the node (or the bound) when the
// workflow cannot be taken as sent; nothing about the broker's state (known
// external parents, room in queues) is checked here.
absl::StatusOr<WorkflowPlan> PlanWorkflow(const wire::SubmitWorkflow& workflow, size_t nodes_max);

// Why `name` cannot name a node, or "".
std::string CheckNodeName(std::string_view name);

// Why a job with parents cannot have this payload, or "": it must be a
// JSON object (or empty, taken as {}), sent as application/json, without
// the keys the broker adds.
std::string CheckChildPayload(const wire::JobSpec& spec);

// Why a plain SUBMIT's JobSpec.after is not acceptable as sent (count,
// id sizes, repeats), or "". Whether the ids name kept jobs is the core's.
std::string CheckParentIds(const wire::JobSpec& spec);

}  // namespace jobq::broker::core
