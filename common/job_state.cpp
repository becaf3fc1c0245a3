#include "common/job_state.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jobq {
namespace {

// In the order a job moves through them, which is how the error lists them.
constexpr std::array<std::pair<wire::JobState, std::string_view>, 8> kNames = {{
    {wire::JOB_STATE_BLOCKED, "blocked"},
    {wire::JOB_STATE_SCHEDULED, "scheduled"},
    {wire::JOB_STATE_QUEUED, "queued"},
    {wire::JOB_STATE_RUNNING, "running"},
    {wire::JOB_STATE_SUCCEEDED, "succeeded"},
    {wire::JOB_STATE_FAILED, "failed"},
    {wire::JOB_STATE_DEAD, "dead"},
    {wire::JOB_STATE_CANCELLED, "cancelled"},
}};

}  // namespace

std::string_view JobStateName(wire::JobState state) {
  for (const auto& [named, name] : kNames) {
    if (named == state) {
      return name;
    }
  }
  return "unknown";
}

absl::StatusOr<wire::JobState> ParseJobStateName(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  std::vector<std::string> names;
  for (const auto& [state, state_name] : kNames) {
    if (lower == state_name) {
      return state;
    }
    names.emplace_back(state_name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown job state \"", std::string(name),
                                                 "\"; valid states: ", absl::StrJoin(names, ", ")));
}

}  // namespace jobq
