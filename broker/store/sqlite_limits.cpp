// SqliteStore: the limits table (schema version 3). A limit is written whole
// when set and deleted when cleared, in the commit of the admin call that
// did it; recovery refuses a row no broker could have written.

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "broker/core/limit_record.h"
#include "broker/store/sqlite_store.h"

namespace jobq::broker::store {
namespace {

void BindText(sqlite3_stmt* statement, int column, const std::string& text) {
  sqlite3_bind_text(statement, column, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string ColumnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text == nullptr ? "" : std::string(text, sqlite3_column_bytes(statement, column));
}

}  // namespace

absl::Status SqliteStore::CommitLimits(std::span<const core::LimitRecord> limits) {
  if (limits.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<Statement> upsert = PrepareOne(
      "INSERT OR REPLACE INTO limits (queue, task, rate_count, rate_period_ms, burst, "
      "concurrency) VALUES (?, ?, ?, ?, ?, ?)");
  if (!upsert.ok()) {
    return upsert.status();
  }
  absl::StatusOr<Statement> erase = PrepareOne("DELETE FROM limits WHERE queue = ? AND task = ?");
  if (!erase.ok()) {
    return erase.status();
  }
  for (const core::LimitRecord& limit : limits) {
    sqlite3_stmt* statement = limit.cleared ? erase->get() : upsert->get();
    BindText(statement, 1, limit.queue);
    BindText(statement, 2, limit.task);
    if (!limit.cleared) {
      sqlite3_bind_int64(statement, 3, limit.rate.count);
      sqlite3_bind_int64(statement, 4, limit.rate.period_ms);
      sqlite3_bind_int64(statement, 5, limit.burst);
      sqlite3_bind_int64(statement, 6, limit.concurrency);
    }
    if (absl::Status status =
            Step(statement, limit.cleared ? "cannot erase a limit" : "cannot write a limit");
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<core::LimitRecord>> SqliteStore::RecoverLimits() {
  absl::StatusOr<Statement> select = PrepareOne(
      "SELECT queue, task, rate_count, rate_period_ms, burst, concurrency FROM limits "
      "ORDER BY queue, task");
  if (!select.ok()) {
    return select.status();
  }
  std::vector<core::LimitRecord> limits;
  int rc;
  while ((rc = sqlite3_step(select->get())) == SQLITE_ROW) {
    core::LimitRecord limit;
    limit.queue = ColumnText(select->get(), 0);
    limit.task = ColumnText(select->get(), 1);
    limit.rate.count = sqlite3_column_int64(select->get(), 2);
    limit.rate.period_ms = sqlite3_column_int64(select->get(), 3);
    limit.burst = sqlite3_column_int64(select->get(), 4);
    limit.concurrency = sqlite3_column_int64(select->get(), 5);
    if (absl::Status valid = core::CheckLimit(limit); !valid.ok()) {
      return absl::DataLossError(absl::StrCat(Describe(), ": the limit of ",
                                              core::LimitName(limit.queue, limit.task),
                                              " is not valid: ", valid.message()));
    }
    limits.push_back(std::move(limit));
  }
  if (rc != SQLITE_DONE) {
    return Error(rc, "cannot read the limits");
  }
  return limits;
}

}  // namespace jobq::broker::store
