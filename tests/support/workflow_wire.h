#pragma once
// A workflow sent as a client written from docs/protocol.md sends it: one
// WORKFLOW (SUBMIT_WORKFLOW) from a DEALER of its own, then the broker's
// WORKFLOW_SUBMITTED. For integration tests; not thread-safe.

#include <optional>
#include <string>

#include "jobq/wire.pb.h"

namespace jobq::testing {

// The broker's answer, or nullopt when none came within 30 s (scaled).
std::optional<wire::WorkflowSubmitted> SendWorkflow(const std::string& frontend,
                                                    const wire::SubmitWorkflow& request);

}  // namespace jobq::testing
