#pragma once
// The names of the workflow states (admin::WorkflowState) as people, the CLI
// and the admin API spell them: "running", "succeeded", "failed",
// "cancelled". Pure; thread-safe.

#include <string_view>

#include "absl/status/statusor.h"
#include "jobq/workflow.pb.h"

namespace jobq {

// The lower-case name; "unknown" for WORKFLOW_STATE_UNSPECIFIED and any
// value the enum does not name.
std::string_view WorkflowStateName(admin::WorkflowState state);

// The state a name stands for, in any case. INVALID_ARGUMENT naming `name`
// and listing the valid names otherwise.
absl::StatusOr<admin::WorkflowState> ParseWorkflowStateName(std::string_view name);

}  // namespace jobq
