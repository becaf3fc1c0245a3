#pragma once
// OwnedBatch: one commit's writes, copied out of the core, so that the
// thread that writes them (StoreWriter) never reads the core's state.

#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "broker/store/store.h"
#include "common/job_id.h"

namespace jobq::broker::net {

struct OwnedBatch {
  std::vector<core::Job> changed;
  std::vector<JobId> erased;
  std::vector<core::SentinelMark> sentinels_added;
  std::vector<JobId> sentinels_removed;
  std::vector<store::ScheduleRecord> schedules_changed;
  std::vector<std::string> schedules_erased;
  std::vector<core::LimitRecord> limits;
  std::vector<store::WorkflowRecord> workflows_changed;
  std::vector<JobId> workflows_erased;
};

// The records of the schedules named in `names` (sorted, deduplicated
// first) that `core` still has, as they are now: a schedule changed
// several times is written once, and one removed since is not written.
std::vector<store::ScheduleRecord> SchedulesToWrite(const core::BrokerCore& core,
                                                    std::vector<std::string>* names);

// Likewise for workflows, by id.
std::vector<store::WorkflowRecord> WorkflowsToWrite(const core::BrokerCore& core,
                                                    std::vector<JobId>* ids);

// The Store's view of `batch`; `pointers` holds what `changed` points at
// and must outlive the result.
store::CommitBatch ViewOf(const OwnedBatch& batch, std::vector<const core::Job*>* pointers);

}  // namespace jobq::broker::net
