#include "broker/store/sqlite_store.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "broker/store/job_record.h"
#include "common/job_id.h"
#include "tests/unit/broker/sqlite_test_dir.h"
#include "tests/unit/broker/store_contract.h"
#include "tests/unit/broker/store_test_jobs.h"

namespace jobq::broker::store {
namespace {

class SqliteStoreTest : public SqliteDirTest, protected TestJobs {};

// The contract suite (store_contract_test.cpp) on a file of its own.
class SqliteUnderTest final : public StoreUnderTest {
 public:
  std::unique_ptr<Store> Open() override {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A trigger, which another program could have made.
  void RefuseJobDeletes(bool refuse) override {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const char* sql = refuse ? "CREATE TRIGGER no_delete BEFORE DELETE ON jobs "
                               "BEGIN SELECT RAISE(ABORT, 'deletes refused by test'); END;"
                             : "DROP TRIGGER no_delete;";
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

 private:
  const ::jobq::testing::TempDir dir_;
  const std::string path_ = dir_.File("jobq.db");
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
                         ::testing::Values(StoreKind{
                             "Sqlite", [] { return std::make_unique<SqliteUnderTest>(); }}),
                         StoreKindName);

TEST(JobRecordTest, RoundTripsEveryFieldButWatchers) {
  JobIdGenerator ids(7);
  core::Job job;
  job.id = ids.Next(1);
  job.spec.set_payload(std::string("\0\0", 2));
  job.state = wire::JOB_STATE_RUNNING;
  job.attempt = 1;
  job.leased_to = std::string("\0w", 2);
  job.error.set_message("m");
  job.watchers = {"c"};
  const core::Job back = FromRecord(ToRecord(job));
  EXPECT_EQ(back.id, job.id);
  EXPECT_EQ(back.spec.payload(), job.spec.payload());
  EXPECT_EQ(back.state, job.state);
  EXPECT_EQ(back.attempt, 1u);
  EXPECT_EQ(back.leased_to, job.leased_to);
  EXPECT_EQ(back.error.message(), "m");
  EXPECT_TRUE(back.watchers.empty());
}

TEST_F(SqliteStoreTest, DescribesItselfAndIsDurable) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "sqlite:" + path_);
  EXPECT_TRUE(store->durable());
  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_TRUE(jobs->empty());
}

// kill -9 right after Commit returned: no destructor, no checkpoint, the
// job is only in the WAL. The next Open must find it there. The page cache
// survives a kill -9, so this passes with synchronous=OFF too: the fsync is
// tested by sqlite_power_cut_test.cpp.
TEST_F(SqliteStoreTest, ACommittedJobSurvivesKillMinus9) {
  const core::Job job = FullJob();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    if (!store.ok() || !CommitJobs(**store, {&job}, {}).ok()) {
      _exit(1);
    }
    kill(getpid(), SIGKILL);
    _exit(2);  // not reached
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited with " << WEXITSTATUS(wait_status);
  ASSERT_EQ(WTERMSIG(wait_status), SIGKILL);
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));

  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  ExpectSameJob((*jobs)[0], job);
}

TEST_F(SqliteStoreTest, SetsSchemaVersionWalAndApplicationId) {
  ASSERT_NE(OpenOrDie(), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  auto pragma = [&](const char* sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    return value;
  };
  EXPECT_EQ(pragma("PRAGMA user_version"), std::to_string(SqliteStore::kSchemaVersion));
  EXPECT_EQ(pragma("PRAGMA application_id"), std::to_string(SqliteStore::kApplicationId));
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, MigratesAVersionOneFileAndKeepsItsJobs) {
  // A store as jobq wrote it before sentinels were kept (schema 1).
  const JobId id = NextId();
  core::Job job = SimpleJob("from-v1");
  job.id = id;
  std::string record;
  ASSERT_TRUE(ToRecord(job).SerializeToString(&record));
  RawExec(
      "PRAGMA application_id = 1246708305; PRAGMA user_version = 1;"
      "CREATE TABLE jobs (id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
      " state INTEGER NOT NULL, queue TEXT NOT NULL, record BLOB NOT NULL);");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO jobs VALUES (?1, 2, 'default', ?2)", -1, &insert,
                                 nullptr),
              SQLITE_OK);
    const std::string_view bytes = id.Bytes();
    sqlite3_bind_blob(insert, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert, 2, record.data(), static_cast<int>(record.size()), SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_finalize(insert);
    sqlite3_close(db);
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->jobs.size(), 1u);
  EXPECT_EQ(recovered->jobs[0].spec.task(), "from-v1");
  const std::vector<core::SentinelMark> added = {{NextId(), "default"}};
  EXPECT_TRUE(store->Commit(CommitBatch{{}, {}, added, {}}).ok())
      << "the migration created the sentinels table";
}

TEST_F(SqliteStoreTest, MigratesAVersionTwoFileToKeepSchedules) {
  WriteVersionTwoFile();
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ScheduleRecord tick;
  tick.mutable_spec()->set_name("tick");
  const std::vector<ScheduleRecord> changed = {tick};
  EXPECT_TRUE(store->Commit(CommitBatch{{}, {}, {}, {}, changed, {}}).ok())
      << "the migration created the schedules table";
}

TEST_F(SqliteStoreTest, ASecondStoreOnTheSameFileIsRefusedWhileTheFirstIsOpen) {
  auto first = OpenOrDie();
  ASSERT_NE(first, nullptr);
  auto second = SqliteStore::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another process"), std::string::npos)
      << second.status();
  first.reset();
  EXPECT_NE(OpenOrDie(), nullptr) << "closing the first store releases the file";
}

TEST_F(SqliteStoreTest, RefusesAFileFromANewerJobq) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    core::Job job = SimpleJob("a");
    ASSERT_TRUE(CommitJobs(*store, {&job}, {}).ok());
  }
  RawExec("PRAGMA user_version = " + std::to_string(SqliteStore::kSchemaVersion + 1));
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status();
}

TEST_F(SqliteStoreTest, APathInAMissingDirectoryGivesAClearError) {
  const std::string path = dir_.path() + "/no-such-dir/jobq.db";
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find("does not exist"), std::string::npos) << store.status();
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/no-such-dir"));
}

TEST_F(SqliteStoreTest, RefusesAGarbageFileWithoutTouchingIt) {
  std::string garbage;
  for (int i = 0; i < 8192; ++i) {
    garbage.push_back(static_cast<char>((i * 7919) % 251));
  }
  {
    std::ofstream out(path_, std::ios::binary);
    out << garbage;
  }
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos) << store.status();

  std::ifstream in(path_, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, garbage);
}

TEST_F(SqliteStoreTest, RefusesAnotherProgramsDatabase) {
  RawExec("CREATE TABLE jobs (x INTEGER); INSERT INTO jobs VALUES (1);");
  auto store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not a jobq store"), std::string::npos) << store.status();
}

}  // namespace
}  // namespace jobq::broker::store
