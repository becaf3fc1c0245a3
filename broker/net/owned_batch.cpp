#include "broker/net/owned_batch.h"

#include <algorithm>

namespace jobq::broker::net {

store::CommitBatch ViewOf(const OwnedBatch& batch, std::vector<const core::Job*>* pointers) {
  pointers->clear();
  for (const core::Job& job : batch.changed) {
    pointers->push_back(&job);
  }
  return store::CommitBatch{.changed = *pointers,
                            .erased = batch.erased,
                            .sentinels_added = batch.sentinels_added,
                            .sentinels_removed = batch.sentinels_removed,
                            .schedules_changed = batch.schedules_changed,
                            .schedules_erased = batch.schedules_erased,
                            .limits = batch.limits};
}

std::vector<store::ScheduleRecord> SchedulesToWrite(const core::BrokerCore& core,
                                                    std::vector<std::string>* names) {
  std::sort(names->begin(), names->end());
  names->erase(std::unique(names->begin(), names->end()), names->end());
  std::vector<store::ScheduleRecord> records;
  for (const std::string& name : *names) {
    if (const store::ScheduleRecord* record = core.FindScheduleRecord(name)) {
      records.push_back(*record);
    }
  }
  return records;
}

}  // namespace jobq::broker::net
