// SqliteStore: the workflows table (schema version 5), one WorkflowRecord
// per workflow, written in the commit that created (or cancelled) it with
// its nodes, and deleted in the one that forgets them. Rare writes, so the
// statements are prepared per commit that has any.

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "broker/store/sqlite_store.h"

namespace jobq::broker::store {

absl::Status SqliteStore::CommitWorkflows(const CommitBatch& batch) {
  if (!batch.workflows_erased.empty()) {
    absl::StatusOr<Statement> erase = PrepareOne("DELETE FROM workflows WHERE id = ?1");
    if (!erase.ok()) {
      return erase.status();
    }
    for (const JobId& id : batch.workflows_erased) {
      if (absl::Status status = EraseById(erase->get(), id, "cannot erase a workflow");
          !status.ok()) {
        return status;
      }
    }
  }
  if (batch.workflows_changed.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<Statement> upsert =
      PrepareOne("INSERT OR REPLACE INTO workflows (id, record) VALUES (?1, ?2)");
  if (!upsert.ok()) {
    return upsert.status();
  }
  for (const WorkflowRecord& workflow : batch.workflows_changed) {
    buffer_.clear();
    if (!workflow.SerializeToString(&buffer_)) {
      return absl::InternalError(absl::StrCat(Describe(), ": cannot serialize a workflow"));
    }
    sqlite3_stmt* statement = upsert->get();
    sqlite3_bind_blob(statement, 1, workflow.id().data(), static_cast<int>(workflow.id().size()),
                      SQLITE_STATIC);
    sqlite3_bind_blob64(statement, 2, buffer_.data(), buffer_.size(), SQLITE_STATIC);
    if (absl::Status status = Step(statement, "cannot write a workflow"); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WorkflowRecord>> SqliteStore::RecoverWorkflows() {
  absl::StatusOr<Statement> select = PrepareOne("SELECT id, record FROM workflows");
  if (!select.ok()) {
    return select.status();
  }
  std::vector<WorkflowRecord> workflows;
  int rc;
  while ((rc = sqlite3_step(select->get())) == SQLITE_ROW) {
    const void* id = sqlite3_column_blob(select->get(), 0);
    const int id_size = sqlite3_column_bytes(select->get(), 0);
    const void* data = sqlite3_column_blob(select->get(), 1);
    const int size = sqlite3_column_bytes(select->get(), 1);
    WorkflowRecord& record = workflows.emplace_back();
    if (!record.ParseFromArray(data, size) || id_size != 16 ||
        record.id() != std::string_view(static_cast<const char*>(id), 16)) {
      return absl::DataLossError(
          absl::StrCat(Describe(), ": a workflow's record does not parse, or has another id"));
    }
  }
  if (rc != SQLITE_DONE) {
    return Error(rc, "cannot read the workflows");
  }
  return workflows;
}

}  // namespace jobq::broker::store
