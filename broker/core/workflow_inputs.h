#pragma once
// What a released child's payload gains from its parents (docs/protocol.md,
// "Workflows"): {"inputs": {KEY: result, ...}} and, for a child that runs
// whatever its parents did (PARENT_FAILURE_RUN), "upstream_errors". Built
// once, at release; merged into the payload at every dispatch. Pure;
// thread-safe.

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// One parent as its child sees it.
struct ParentOutcome {
  std::string key;  // its node name, or its job id for a parent outside the workflow
  wire::JobState state = wire::JOB_STATE_UNSPECIFIED;
  std::string_view result;
  std::string_view content_type;           // of `result`; "" = application/json
  const wire::ErrorInfo* error = nullptr;  // for a parent that did not succeed
};

// The JSON object for `parents`, in their order. A JSON result goes in as
// it is; other UTF-8 text as a JSON string; other bytes as {"base64": ...}.
// RESOURCE_EXHAUSTED when the object would pass `bytes_max` (--result-max).
absl::StatusOr<std::string> BuildInputs(std::span<const ParentOutcome> parents, size_t bytes_max);

// `payload` (a JSON object, or empty for {}) with the members of `inputs`
// (an object BuildInputs made) added at its end.
std::string MergeInputs(std::string_view payload, std::string_view inputs);

}  // namespace jobq::broker::core
