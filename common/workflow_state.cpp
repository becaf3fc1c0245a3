#include "common/workflow_state.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jobq {
namespace {

constexpr std::array<std::pair<admin::WorkflowState, std::string_view>, 4> kWorkflowStateNames = {{
    {admin::WORKFLOW_STATE_RUNNING, "running"},
    {admin::WORKFLOW_STATE_SUCCEEDED, "succeeded"},
    {admin::WORKFLOW_STATE_FAILED, "failed"},
    {admin::WORKFLOW_STATE_CANCELLED, "cancelled"},
}};

}  // namespace

std::string_view WorkflowStateName(admin::WorkflowState state) {
  for (const auto& [named, name] : kWorkflowStateNames) {
    if (named == state) {
      return name;
    }
  }
  return "unknown";
}

absl::StatusOr<admin::WorkflowState> ParseWorkflowStateName(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  std::vector<std::string> names;
  for (const auto& [state, state_name] : kWorkflowStateNames) {
    if (lower == state_name) {
      return state;
    }
    names.emplace_back(state_name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown workflow state \"", std::string(name),
                                                 "\"; valid states: ", absl::StrJoin(names, ", ")));
}

}  // namespace jobq
