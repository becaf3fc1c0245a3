#pragma once
// SqliteStore: the durable Store (`--store sqlite:PATH`), one SQLite file.
//
// Durability: WAL journal with synchronous=FULL, so Commit returns only once
// the transaction is in the WAL and fsync'ed: an acknowledged job survives a
// kill -9 of the broker and a power loss. Each Commit is one transaction
// (BEGIN IMMEDIATE ... COMMIT): the loop's group commit. On any error the
// transaction is rolled back and nothing of that call is written.
//
// Schema: versioned by `PRAGMA user_version`; Open applies the missing
// migration steps (kMigrations in sqlite_store.cpp) in one transaction and
// refuses a file written by a newer jobq. Version 1:
//   jobs(id BLOB PRIMARY KEY  -- the 16 JobId bytes
//        state INTEGER        -- wire::JobState, for admin filters
//        queue TEXT           -- spec.queue, for admin filters
//        record BLOB)         -- a serialized jobq.store.JobRecord
// Version 2 adds
//   sentinels(id BLOB PRIMARY KEY  -- orders it among its queue's job ids
//             queue TEXT)          -- sentinels not fired yet
//
// Not thread-safe (like every Store): Recover at start, then Commit from
// the StoreWriter thread only.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jobq::broker::store {

class SqliteStore final : public Store {
 public:
  // The schema version this build writes, and the newest it can read.
  static constexpr int kSchemaVersion = 5;
  // `PRAGMA application_id` of a jobq store ("JOBQ"), so that another
  // program's SQLite file is refused instead of being written into.
  static constexpr int kApplicationId = 0x4A4F4251;

  // Opens `path`, creating it when missing, locks it against other
  // processes, and brings its schema up to kSchemaVersion. Errors name the
  // path and say why: directory missing, permission, in use by another
  // broker, not a database, a schema newer than this build.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::string Describe() const override { return "sqlite:" + path_; }
  bool durable() const override { return true; }
  absl::Status Commit(const CommitBatch& batch) override;
  absl::StatusOr<Recovered> Recover() override;

  // Tests only: `PRAGMA synchronous=<level>` ("OFF", "NORMAL") instead of
  // FULL, for the power-cut test that must show it can fail.
  absl::Status SetSynchronousForTest(const char* level);

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  SqliteStore(std::string path, sqlite3* db, int lock_fd)
      : path_(std::move(path)), db_(db), lock_fd_(lock_fd) {}

  absl::Status Configure();
  absl::Status Migrate();
  absl::Status Prepare();
  absl::StatusOr<Statement> PrepareOne(const char* sql);
  absl::Status Exec(const char* sql, const char* what);
  absl::StatusOr<int> PragmaInt(const char* sql);
  absl::Status Step(sqlite3_stmt* statement, const char* what);
  absl::Status CommitLocked(const CommitBatch& batch);
  absl::Status EraseById(sqlite3_stmt* statement, const JobId& id, const char* what);
  absl::StatusOr<std::vector<core::Job>> RecoverJobs();
  absl::StatusOr<std::vector<core::SentinelMark>> RecoverSentinels();
  // The schedules table (sqlite_schedules.cpp).
  absl::Status CommitSchedules(const CommitBatch& batch);
  absl::StatusOr<std::vector<ScheduleRecord>> RecoverSchedules();
  void RollbackIfOpen();
  // Limits (sqlite_limits.cpp): rare admin writes, so prepared per call.
  absl::Status CommitLimits(std::span<const core::LimitRecord> limits);
  absl::StatusOr<std::vector<core::LimitRecord>> RecoverLimits();
  // Workflows (sqlite_workflows.cpp): written at submit and cancel only.
  absl::Status CommitWorkflows(const CommitBatch& batch);
  absl::StatusOr<std::vector<WorkflowRecord>> RecoverWorkflows();
  // "sqlite:PATH: <what>: <sqlite's message>", with a code fitting `rc`.
  absl::Status Error(int rc, std::string_view what) const;

  std::string path_;
  sqlite3* db_;
  int lock_fd_;  // holds flock(LOCK_EX) on the file while the store is open
  // Prepared once in Open, reused by every Commit / Recover.
  Statement begin_;
  Statement commit_;
  Statement rollback_;
  Statement upsert_;
  Statement erase_;
  Statement select_all_;
  Statement insert_sentinel_;
  Statement erase_sentinel_;
  Statement select_sentinels_;
  Statement upsert_schedule_;
  Statement erase_schedule_;
  Statement select_schedules_;
  std::string buffer_;  // the serialized record being written
};

}  // namespace jobq::broker::store
