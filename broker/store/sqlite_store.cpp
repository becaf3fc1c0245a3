#include "broker/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/store/job_record.h"

namespace jobq::broker::store {
namespace {

// How long a statement waits for a lock another connection holds (an admin
// tool reading the file, a checkpoint) before failing with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 5000;

// Schema migrations: step i takes `PRAGMA user_version` from i to i + 1.
// Append only; never edit a step that has shipped. Open applies the missing
// steps, and the new user_version, in one transaction.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the jobs table. `state` and `queue` duplicate fields of
    // `record` so that admin listings can filter without decoding it.
    "PRAGMA application_id = 1246708305;"  // kApplicationId, "JOBQ"
    "CREATE TABLE jobs ("
    "  id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    "  state INTEGER NOT NULL,"
    "  queue TEXT NOT NULL,"
    "  record BLOB NOT NULL"
    ");",
    // 1 -> 2: sentinels survive a restart; their ids order them among jobs.
    "CREATE TABLE sentinels ("
    "  id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    "  queue TEXT NOT NULL"
    ");",
    // 2 -> 3: schedules (jobq schedule add), a ScheduleRecord each.
    "CREATE TABLE schedules ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  record BLOB NOT NULL"
    ");",
    // 3 -> 4: rate limits and concurrency caps (sqlite_limits.cpp). Rate 0/0:
    // none; concurrency 0: none. Buckets are not kept: a restored limit
    // starts empty (docs/guarantees.md).
    "CREATE TABLE limits ("
    "  queue TEXT NOT NULL,"
    "  task TEXT NOT NULL,"
    "  rate_count INTEGER NOT NULL,"
    "  rate_period_ms INTEGER NOT NULL,"
    "  burst INTEGER NOT NULL,"
    "  concurrency INTEGER NOT NULL,"
    "  PRIMARY KEY (queue, task)"
    ");",
    // 4 -> 5: workflows (sqlite_workflows.cpp), a WorkflowRecord each; their
    // nodes are rows of jobs whose record names the workflow.
    "CREATE TABLE workflows ("
    "  id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    "  record BLOB NOT NULL"
    ");",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "one migration step per schema version");
static_assert(SqliteStore::kApplicationId == 1246708305, "keep kMigrations[0] in sync");

absl::StatusCode CodeOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return absl::StatusCode::kDataLoss;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

// For a file that cannot be opened: say what is wrong with its directory.
std::string DirectoryHint(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return absl::StrCat(" (directory ", dir.string(), " does not exist)");
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::StrCat(" (", dir.string(), " is not a directory)");
  }
  return "";
}

}  // namespace

void SqliteStore::StatementDeleter::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

absl::Status SqliteStore::Error(int rc, std::string_view what) const {
  std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int base = rc & 0xff;
  if (db_ != nullptr && (base == SQLITE_CANTOPEN || base == SQLITE_IOERR)) {
    if (int error = sqlite3_system_errno(db_); error != 0) {
      absl::StrAppend(&message, " (", std::strerror(error), ")");
    }
  }
  if (base == SQLITE_CANTOPEN) {
    message += DirectoryHint(path_);
  }
  return absl::Status(CodeOf(rc), absl::StrCat(Describe(), ": ", std::string(what), ": ", message));
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  // Two brokers writing one store would each hand out the other's jobs:
  // the first one to open it keeps it (the lock goes with its process).
  const int lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    const int error = errno;
    return absl::Status(error == EACCES ? absl::StatusCode::kPermissionDenied
                                        : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("sqlite:", path, ": cannot open or create the database file: ",
                                     std::strerror(error), DirectoryHint(path)));
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "sqlite:", path,
        ": another process (a jobq-broker?) is using this store; stop it, or give this "
        "broker its own --data-dir or --store"));
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The store owns `db` from here, even when the open failed (sqlite3 then
  // still allocates a handle that carries the error message).
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, db, lock_fd));
  if (rc != SQLITE_OK) {
    return store->Error(rc, "cannot open or create the database file");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  if (absl::Status status = store->Configure(); !status.ok()) {
    return status;
  }
  if (absl::Status status = store->Migrate(); !status.ok()) {
    return status;
  }
  if (absl::Status status = store->Prepare(); !status.ok()) {
    return status;
  }
  return store;
}

SqliteStore::~SqliteStore() {
  // Statements first: sqlite3_close_v2 would otherwise keep the handle open.
  begin_.reset();
  commit_.reset();
  rollback_.reset();
  upsert_.reset();
  erase_.reset();
  select_all_.reset();
  insert_sentinel_.reset();
  erase_sentinel_.reset();
  select_sentinels_.reset();
  upsert_schedule_.reset();
  erase_schedule_.reset();
  select_schedules_.reset();
  sqlite3_close_v2(db_);
  ::close(lock_fd_);  // releases the lock
}

absl::StatusOr<SqliteStore::Statement> SqliteStore::PrepareOne(const char* sql) {
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  Statement owned(statement);
  if (rc != SQLITE_OK) {
    return Error(rc, absl::StrCat("cannot prepare \"", sql, "\""));
  }
  return owned;
}

absl::Status SqliteStore::Exec(const char* sql, const char* what) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return Error(rc, what);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SqliteStore::PragmaInt(const char* sql) {
  absl::StatusOr<Statement> statement = PrepareOne(sql);
  if (!statement.ok()) {
    return statement.status();
  }
  const int rc = sqlite3_step(statement->get());
  if (rc != SQLITE_ROW) {
    return Error(rc, absl::StrCat("cannot read \"", sql, "\""));
  }
  return sqlite3_column_int(statement->get(), 0);
}

absl::Status SqliteStore::Step(sqlite3_stmt* statement, const char* what) {
  const int rc = sqlite3_step(statement);
  // Built before the reset, which keeps the message but not forever.
  absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : Error(rc, what);
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  return status;
}

absl::Status SqliteStore::Configure() {
  // Read before anything is written: a file that is not a database, or is
  // another program's, fails here untouched.
  absl::StatusOr<int> version = PragmaInt("PRAGMA user_version");
  if (!version.ok()) {
    return version.status();
  }
  if (*version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(), ": schema version ", *version, " is newer than this jobq knows (",
                     kSchemaVersion, "); it was written by a newer jobq: run that one"));
  }
  absl::StatusOr<int> application_id = PragmaInt("PRAGMA application_id");
  if (!application_id.ok()) {
    return application_id.status();
  }
  absl::StatusOr<int> objects = PragmaInt("SELECT count(*) FROM sqlite_master");
  if (!objects.ok()) {
    return objects.status();
  }
  if ((*version > 0 && *application_id != kApplicationId) || (*version == 0 && *objects > 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(), ": an SQLite database, but not a jobq store (application_id ",
                     *application_id, ", user_version ", *version, ")"));
  }

  absl::StatusOr<Statement> wal = PrepareOne("PRAGMA journal_mode=WAL");
  if (!wal.ok()) {
    return wal.status();
  }
  if (int rc = sqlite3_step(wal->get()); rc != SQLITE_ROW) {
    return Error(rc, "cannot switch to WAL journal mode");
  }
  const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(wal->get(), 0));
  if (mode == nullptr || std::strcmp(mode, "wal") != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        Describe(), ": cannot use WAL journal mode (got \"", mode == nullptr ? "" : mode, "\")"));
  }
  // FULL: the WAL is fsync'ed at every commit, so a commit that returned
  // survives a power loss too (NORMAL would only survive a process crash).
  return Exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
}

absl::Status SqliteStore::SetSynchronousForTest(const char* level) {
  return Exec(absl::StrCat("PRAGMA synchronous=", level).c_str(), "cannot set synchronous");
}

absl::Status SqliteStore::Migrate() {
  if (absl::Status status = Exec("BEGIN IMMEDIATE", "cannot start the migration"); !status.ok()) {
    return status;
  }
  // Read again under the write lock: another process may have migrated the
  // file since Configure looked.
  absl::StatusOr<int> version = PragmaInt("PRAGMA user_version");
  absl::Status status = version.status();
  if (status.ok() && *version > kSchemaVersion) {
    status = absl::FailedPreconditionError(absl::StrCat(Describe(), ": schema version ", *version,
                                                        " is newer than this jobq knows (",
                                                        kSchemaVersion, ")"));
  }
  for (int step = status.ok() ? *version : kSchemaVersion; step < kSchemaVersion && status.ok();
       ++step) {
    status = Exec(kMigrations[step],
                  absl::StrCat("migration to schema version ", step + 1, " failed").c_str());
  }
  if (status.ok() && *version < kSchemaVersion) {
    status = Exec(absl::StrCat("PRAGMA user_version = ", kSchemaVersion).c_str(),
                  "cannot set the schema version");
  }
  if (status.ok()) {
    status = Exec("COMMIT", "cannot commit the migration");
  }
  if (!status.ok()) {
    RollbackIfOpen();
  }
  return status;
}

absl::Status SqliteStore::Prepare() {
  struct {
    Statement* slot;
    const char* sql;
  } const statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&upsert_, "INSERT OR REPLACE INTO jobs (id, state, queue, record) VALUES (?1, ?2, ?3, ?4)"},
      {&erase_, "DELETE FROM jobs WHERE id = ?1"},
      {&select_all_, "SELECT id, record FROM jobs"},
      {&insert_sentinel_, "INSERT OR REPLACE INTO sentinels (id, queue) VALUES (?1, ?2)"},
      {&erase_sentinel_, "DELETE FROM sentinels WHERE id = ?1"},
      {&select_sentinels_, "SELECT id, queue FROM sentinels"},
      {&upsert_schedule_, "INSERT OR REPLACE INTO schedules (name, record) VALUES (?1, ?2)"},
      {&erase_schedule_, "DELETE FROM schedules WHERE name = ?1"},
      {&select_schedules_, "SELECT name, record FROM schedules"},
  };
  for (const auto& [slot, sql] : statements) {
    absl::StatusOr<Statement> statement = PrepareOne(sql);
    if (!statement.ok()) {
      return statement.status();
    }
    *slot = std::move(*statement);
  }
  return absl::OkStatus();
}

void SqliteStore::RollbackIfOpen() {
  if (sqlite3_get_autocommit(db_)) {
    return;  // SQLite already rolled it back
  }
  if (rollback_ != nullptr) {
    sqlite3_step(rollback_.get());
    sqlite3_reset(rollback_.get());
  } else {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

absl::Status SqliteStore::Commit(const CommitBatch& batch) {
  if (batch.empty()) {
    return absl::OkStatus();
  }
  if (absl::Status status = Step(begin_.get(), "cannot begin a transaction"); !status.ok()) {
    return status;
  }
  absl::Status status = CommitLocked(batch);
  if (!status.ok()) {
    RollbackIfOpen();
  }
  return status;
}

absl::Status SqliteStore::EraseById(sqlite3_stmt* statement, const JobId& id, const char* what) {
  const std::string_view bytes = id.Bytes();
  sqlite3_bind_blob(statement, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  return Step(statement, what);
}

absl::Status SqliteStore::CommitLocked(const CommitBatch& batch) {
  sqlite3_stmt* upsert = upsert_.get();
  for (const core::Job* job : batch.changed) {
    buffer_.clear();
    if (!ToRecord(*job).SerializeToString(&buffer_)) {
      return absl::InternalError(
          absl::StrCat(Describe(), ": cannot serialize job ", job->id.ToString()));
    }
    // SQLITE_STATIC: the bound memory outlives the step (reset in Step).
    const std::string_view id = job->id.Bytes();
    const std::string& queue = job->spec.queue();
    sqlite3_bind_blob(upsert, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_int(upsert, 2, static_cast<int>(job->state));
    sqlite3_bind_text(upsert, 3, queue.data(), static_cast<int>(queue.size()), SQLITE_STATIC);
    sqlite3_bind_blob64(upsert, 4, buffer_.data(), buffer_.size(), SQLITE_STATIC);
    if (absl::Status status = Step(upsert, "cannot write a job"); !status.ok()) {
      return status;
    }
  }
  for (const JobId& id : batch.erased) {
    if (absl::Status status = EraseById(erase_.get(), id, "cannot erase a job"); !status.ok()) {
      return status;
    }
  }
  for (const core::SentinelMark& sentinel : batch.sentinels_added) {
    const std::string_view id = sentinel.id.Bytes();
    sqlite3_stmt* insert = insert_sentinel_.get();
    sqlite3_bind_blob(insert, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, sentinel.queue.data(), static_cast<int>(sentinel.queue.size()),
                      SQLITE_STATIC);
    if (absl::Status status = Step(insert, "cannot write a sentinel"); !status.ok()) {
      return status;
    }
  }
  for (const JobId& id : batch.sentinels_removed) {
    if (absl::Status status = EraseById(erase_sentinel_.get(), id, "cannot erase a sentinel");
        !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = CommitSchedules(batch); !status.ok()) {
    return status;
  }
  if (absl::Status status = CommitLimits(batch.limits); !status.ok()) {
    return status;
  }
  if (absl::Status status = CommitWorkflows(batch); !status.ok()) {
    return status;
  }
  return Step(commit_.get(), "cannot commit");
}

absl::StatusOr<Recovered> SqliteStore::Recover() {
  Recovered recovered;
  absl::StatusOr<std::vector<core::Job>> jobs = RecoverJobs();
  if (!jobs.ok()) {
    return jobs.status();
  }
  recovered.jobs = std::move(*jobs);
  absl::StatusOr<std::vector<core::SentinelMark>> sentinels = RecoverSentinels();
  if (!sentinels.ok()) {
    return sentinels.status();
  }
  recovered.sentinels = std::move(*sentinels);
  absl::StatusOr<std::vector<ScheduleRecord>> schedules = RecoverSchedules();
  if (!schedules.ok()) {
    return schedules.status();
  }
  recovered.schedules = std::move(*schedules);
  absl::StatusOr<std::vector<core::LimitRecord>> limits = RecoverLimits();
  if (!limits.ok()) {
    return limits.status();
  }
  recovered.limits = std::move(*limits);
  absl::StatusOr<std::vector<WorkflowRecord>> workflows = RecoverWorkflows();
  if (!workflows.ok()) {
    return workflows.status();
  }
  recovered.workflows = std::move(*workflows);
  return recovered;
}

absl::StatusOr<std::vector<core::SentinelMark>> SqliteStore::RecoverSentinels() {
  sqlite3_stmt* select = select_sentinels_.get();
  std::vector<core::SentinelMark> sentinels;
  absl::Status status;
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    const auto* id = static_cast<const char*>(sqlite3_column_blob(select, 0));
    const int id_size = sqlite3_column_bytes(select, 0);
    std::optional<JobId> parsed =
        JobId::FromBytes(std::string_view(id == nullptr ? "" : id, static_cast<size_t>(id_size)));
    if (!parsed) {
      status = absl::DataLossError(
          absl::StrCat(Describe(), ": a sentinel's id has ", id_size, " bytes, not 16"));
      break;
    }
    const auto* queue = reinterpret_cast<const char*>(sqlite3_column_text(select, 1));
    sentinels.push_back({*parsed, queue == nullptr ? "" : queue});
  }
  if (status.ok() && rc != SQLITE_DONE) {
    status = Error(rc, "cannot read the sentinels");
  }
  sqlite3_reset(select);
  if (!status.ok()) {
    return status;
  }
  return sentinels;
}

absl::StatusOr<std::vector<core::Job>> SqliteStore::RecoverJobs() {
  sqlite3_stmt* select = select_all_.get();
  std::vector<core::Job> jobs;
  absl::Status status;
  JobRecord record;
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    const auto* id = static_cast<const char*>(sqlite3_column_blob(select, 0));
    const int id_size = sqlite3_column_bytes(select, 0);
    const void* data = sqlite3_column_blob(select, 1);
    const int size = sqlite3_column_bytes(select, 1);
    const std::string_view key(id == nullptr ? "" : id, static_cast<size_t>(id_size));
    if (key.size() != JobId::kSize) {
      status = absl::DataLossError(
          absl::StrCat(Describe(), ": a row's id has ", key.size(), " bytes, not 16"));
      break;
    }
    const std::string name = JobId::FromBytes(key)->ToString();
    if (!record.ParseFromArray(data, size)) {
      status = absl::DataLossError(
          absl::StrCat(Describe(), ": the record of job ", name, " does not parse"));
      break;
    }
    if (record.id() != key) {
      status = absl::DataLossError(
          absl::StrCat(Describe(), ": the record of job ", name, " has another id"));
      break;
    }
    jobs.push_back(FromRecord(std::move(record)));
  }
  if (status.ok() && rc != SQLITE_DONE) {
    status = Error(rc, "cannot read the jobs");
  }
  sqlite3_reset(select);
  if (!status.ok()) {
    return status;
  }
  return jobs;
}

}  // namespace jobq::broker::store
