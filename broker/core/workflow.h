#pragma once
// Workflow: the broker's record of one workflow (SUBMIT_WORKFLOW): its
// identity as the store keeps it, its nodes in submission order, and how
// many of them are in each state. Owned by BrokerCore; not thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/job_id.h"
#include "jobq/store.pb.h"
#include "jobq/wire.pb.h"
#include "jobq/workflow.pb.h"

namespace jobq::broker::core {

struct Workflow {
  ::jobq::store::WorkflowRecord record;
  JobId id;
  std::vector<JobId> nodes;  // in the order they were submitted
  // Nodes by state, kept by BrokerCore::Transition, Admit and Forget.
  std::array<uint32_t, wire::JobState_ARRAYSIZE> counts{};
  uint32_t unfinished = 0;  // nodes not in a terminal state
  TimeMs finished_ms = 0;   // when the last node finished; 0 while unfinished
  TimeMs expires_ms = 0;    // it and its nodes are forgotten then; 0 while unfinished
  // The state BrokerCore counts it under (workflow_states_), so that the
  // figures need no walk over every workflow; unset until first counted.
  std::optional<::jobq::admin::WorkflowState> counted_as;

  ::jobq::admin::WorkflowState State() const {
    if (unfinished > 0) {
      return ::jobq::admin::WORKFLOW_STATE_RUNNING;
    }
    if (record.cancelled()) {
      return ::jobq::admin::WORKFLOW_STATE_CANCELLED;
    }
    return counts[wire::JOB_STATE_SUCCEEDED] == nodes.size()
               ? ::jobq::admin::WORKFLOW_STATE_SUCCEEDED
               : ::jobq::admin::WORKFLOW_STATE_FAILED;
  }
};

}  // namespace jobq::broker::core
