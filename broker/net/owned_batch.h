#pragma once
// OwnedBatch: one commit's writes, copied out of the core, so that the
// thread that writes them (StoreWriter) never reads the core's state.

#include <vector>

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
  std::vector<core::LimitRecord> limits;
};

// The Store's view of `batch`; `pointers` holds what `changed` points at
// and must outlive the result.
store::CommitBatch ViewOf(const OwnedBatch& batch, std::vector<const core::Job*>* pointers);

}  // namespace jobq::broker::net
