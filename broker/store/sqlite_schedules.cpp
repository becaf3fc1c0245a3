// SqliteStore: the schedules table, one ScheduleRecord per name, written in
// the same transaction as the jobs its firings made.

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "broker/store/sqlite_store.h"

namespace jobq::broker::store {

absl::Status SqliteStore::CommitSchedules(const CommitBatch& batch) {
  for (const std::string& name : batch.schedules_erased) {
    sqlite3_stmt* erase = erase_schedule_.get();
    sqlite3_bind_text(erase, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    if (absl::Status status = Step(erase, "cannot erase a schedule"); !status.ok()) {
      return status;
    }
  }
  sqlite3_stmt* upsert = upsert_schedule_.get();
  for (const ScheduleRecord& schedule : batch.schedules_changed) {
    buffer_.clear();
    if (!schedule.SerializeToString(&buffer_)) {
      return absl::InternalError(
          absl::StrCat(Describe(), ": cannot serialize schedule ", schedule.spec().name()));
    }
    const std::string& name = schedule.spec().name();
    sqlite3_bind_text(upsert, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    sqlite3_bind_blob64(upsert, 2, buffer_.data(), buffer_.size(), SQLITE_STATIC);
    if (absl::Status status = Step(upsert, "cannot write a schedule"); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ScheduleRecord>> SqliteStore::RecoverSchedules() {
  sqlite3_stmt* select = select_schedules_.get();
  std::vector<ScheduleRecord> schedules;
  absl::Status status;
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    const auto* name_text = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
    const std::string name = name_text == nullptr ? "" : name_text;
    const void* data = sqlite3_column_blob(select, 1);
    const int size = sqlite3_column_bytes(select, 1);
    ScheduleRecord& record = schedules.emplace_back();
    if (!record.ParseFromArray(data, size)) {
      status = absl::DataLossError(
          absl::StrCat(Describe(), ": the record of schedule \"", name, "\" does not parse"));
      break;
    }
    if (record.spec().name() != name) {
      status = absl::DataLossError(
          absl::StrCat(Describe(), ": the record of schedule \"", name, "\" has another name"));
      break;
    }
  }
  if (status.ok() && rc != SQLITE_DONE) {
    status = Error(rc, "cannot read the schedules");
  }
  sqlite3_reset(select);
  if (!status.ok()) {
    return status;
  }
  return schedules;
}

}  // namespace jobq::broker::store
