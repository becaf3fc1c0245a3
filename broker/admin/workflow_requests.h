#pragma once
// Checks of the workflow RPCs' requests (GetWorkflow, ListWorkflows,
// CancelWorkflow), done on the gRPC thread so the loop only ever sees
// well-formed ones: ids become their 16 wire bytes, a state name its enum
// (kept in state_name's place as its canonical name), limits their bounds.
// Errors are kInvalidArgument with a message for people. Pure; thread-safe.

#include <cstdint>

#include "absl/status/status.h"
#include "jobq/workflow.pb.h"

namespace jobq::broker::admin {

inline constexpr uint32_t kDefaultWorkflowNodeLimit = 1'000;
inline constexpr uint32_t kMaxWorkflowNodeLimit = 10'000;
inline constexpr uint32_t kDefaultWorkflowListLimit = 100;
inline constexpr uint32_t kMaxWorkflowListLimit = 10'000;

// In place: the id as 16 bytes; node_limit defaulted and capped.
absl::Status NormalizeGetWorkflow(jobq::admin::GetWorkflowRequest* request);
// In place: state_name checked and lower-cased, page_after as 16 bytes,
// limit defaulted and capped.
absl::Status NormalizeListWorkflows(jobq::admin::ListWorkflowsRequest* request);
absl::Status NormalizeCancelWorkflow(jobq::admin::CancelWorkflowRequest* request);

}  // namespace jobq::broker::admin
