#include "broker/net/owned_batch.h"

namespace jobq::broker::net {

store::CommitBatch ViewOf(const OwnedBatch& batch, std::vector<const core::Job*>* pointers) {
  pointers->clear();
  for (const core::Job& job : batch.changed) {
    pointers->push_back(&job);
  }
  return store::CommitBatch{*pointers, batch.erased, batch.sentinels_added, batch.sentinels_removed,
                            batch.limits};
}

}  // namespace jobq::broker::net
