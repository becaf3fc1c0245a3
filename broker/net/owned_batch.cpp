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
                            .limits = batch.limits,
                            .workflows_changed = batch.workflows_changed,
                            .workflows_erased = batch.workflows_erased};
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

std::vector<store::WorkflowRecord> WorkflowsToWrite(const core::BrokerCore& core,
                                                    std::vector<JobId>* ids) {
  std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  std::vector<store::WorkflowRecord> records;
  for (const JobId& id : *ids) {
    if (const store::WorkflowRecord* record = core.FindWorkflowRecord(id)) {
      records.push_back(*record);
    }
  }
  return records;
}

}  // namespace jobq::broker::net
