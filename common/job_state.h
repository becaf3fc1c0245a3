#pragma once
// The names of the job states (wire::JobState) as people, the CLI and the
// admin API spell them: "blocked", "scheduled", "queued", "running",
// "succeeded", "failed", "dead", "cancelled". Pure; thread-safe.

#include <string_view>

#include "absl/status/statusor.h"
#include "jobq/wire.pb.h"

namespace jobq {

// The lower-case name; "unknown" for JOB_STATE_UNSPECIFIED (how a WAIT on
// an unknown job is reported) and any value the enum does not name.
std::string_view JobStateName(wire::JobState state);

// The state a name stands for, in any case. INVALID_ARGUMENT naming
// `name` and listing the valid names otherwise ("unknown" is none).
absl::StatusOr<wire::JobState> ParseJobStateName(std::string_view name);

}  // namespace jobq
