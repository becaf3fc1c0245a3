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

namespace jobq::broker::store {
namespace {

using ::google::protobuf::util::MessageDifferencer;

absl::Status CommitJobs(Store& store, const std::vector<const core::Job*>& changed,
                        const std::vector<JobId>& erased) {
  return store.Commit(CommitBatch{changed, erased, {}, {}});
}

absl::StatusOr<std::vector<core::Job>> RecoverJobs(Store& store) {
  absl::StatusOr<Recovered> recovered = store.Recover();
  if (!recovered.ok()) {
    return recovered.status();
  }
  return std::move(recovered->jobs);
}

class SqliteStoreTest : public SqliteDirTest {
 protected:
  JobId NextId() { return ids_.Next(1'700'000'000'000 + (++now_)); }

  core::Job SimpleJob(const std::string& task) {
    core::Job job;
    job.id = NextId();
    job.spec.set_queue("default");
    job.spec.set_task(task);
    job.spec.set_content_type("application/json");
    job.submitted_ms = 1'700'000'000'000 + now_;
    return job;
  }

  // A job with every persisted field set to something other than its default.
  core::Job FullJob() {
    core::Job job;
    job.id = NextId();
    job.spec.set_queue("emails");
    job.spec.set_task("send");
    job.spec.set_payload(std::string("a\0b\0\xff\x00z", 7));
    job.spec.set_content_type("application/octet-stream");
    job.spec.set_kind(wire::KIND_CPU);
    job.spec.set_priority(-7);
    job.spec.set_not_before_ms(1'700'000'000'123);
    job.spec.set_timeout_ms(30'000);
    job.spec.set_max_attempts(5);
    job.spec.set_idempotency_key("key-1");
    job.spec.set_result_ttl_ms(86'400'000);
    job.spec.set_sentinel(true);
    job.state = wire::JOB_STATE_FAILED;
    job.attempt = 3;
    job.failures = 2;
    job.lost_leases = 1;
    job.leased_to = std::string("\0\x80\x01worker", 9);  // a ROUTER-made routing id
    job.submitted_ms = 1'700'000'000'001;
    job.started_ms = 1'700'000'000'002;
    job.finished_ms = 1'700'000'000'003;
    job.result = std::string("r\0e\0s", 5);
    job.result_content_type = "application/x-bin";
    job.error.set_type("exception");
    job.error.set_message("boom");
    job.error.set_detail("Traceback...\n  line 1");
    job.watchers = {"client-a", "client-b"};
    return job;
  }

  JobIdGenerator ids_{42};
  int64_t now_ = 0;
};

// Equal in everything persisted (everything but watchers).
void ExpectSameJob(const core::Job& actual, const core::Job& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_TRUE(MessageDifferencer::Equals(ToRecord(actual), ToRecord(expected)))
      << "actual:\n"
      << ToRecord(actual).DebugString() << "expected:\n"
      << ToRecord(expected).DebugString();
  EXPECT_TRUE(actual.watchers.empty());
}

std::map<JobId, core::Job> ById(std::vector<core::Job> jobs) {
  std::map<JobId, core::Job> by_id;
  for (core::Job& job : jobs) {
    JobId id = job.id;
    EXPECT_TRUE(by_id.emplace(id, std::move(job)).second) << "duplicate " << id.ToString();
  }
  return by_id;
}

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

TEST_F(SqliteStoreTest, RoundTripsAJobWithEveryFieldSet) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const core::Job job = FullJob();
  ASSERT_TRUE(CommitJobs(*store, {&job}, {}).ok());

  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  const core::Job& back = (*jobs)[0];
  ExpectSameJob(back, job);
  // The bytes that are easiest to lose, checked on their own.
  EXPECT_EQ(back.spec.payload(), std::string("a\0b\0\xff\x00z", 7));
  EXPECT_EQ(back.leased_to, std::string("\0\x80\x01worker", 9));
  EXPECT_EQ(back.result, std::string("r\0e\0s", 5));
  EXPECT_EQ(back.error.detail(), "Traceback...\n  line 1");
}

TEST_F(SqliteStoreTest, UpdatesAndErases) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  core::Job a = SimpleJob("a");
  core::Job b = SimpleJob("b");
  core::Job c = SimpleJob("c");
  ASSERT_TRUE(CommitJobs(*store, {&a, &b, &c}, {}).ok());

  a.state = wire::JOB_STATE_RUNNING;
  a.attempt = 1;
  a.leased_to = "w1";
  a.started_ms = 5;
  // One call both updates `a` and erases `b` (and an id never written).
  ASSERT_TRUE(CommitJobs(*store, {&a}, {b.id, NextId()}).ok());

  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  auto by_id = ById(std::move(*jobs));
  ASSERT_EQ(by_id.size(), 2u);
  ExpectSameJob(by_id.at(a.id), a);
  ExpectSameJob(by_id.at(c.id), c);
  EXPECT_EQ(by_id.count(b.id), 0u);

  ASSERT_TRUE(CommitJobs(*store, {}, {a.id, c.id}).ok());
  jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(jobs->empty());
}

TEST_F(SqliteStoreTest, ReopenRecoversExactlyWhatWasCommitted) {
  std::vector<core::Job> kept;
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    core::Job full = FullJob();
    core::Job gone = SimpleJob("gone");
    core::Job updated = SimpleJob("updated");
    ASSERT_TRUE(CommitJobs(*store, {&full, &gone, &updated}, {}).ok());
    updated.state = wire::JOB_STATE_SUCCEEDED;
    updated.result = "42";
    ASSERT_TRUE(CommitJobs(*store, {&updated}, {gone.id}).ok());
    kept = {full, updated};
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  auto by_id = ById(std::move(*jobs));
  ASSERT_EQ(by_id.size(), kept.size());
  for (const core::Job& job : kept) {
    ASSERT_EQ(by_id.count(job.id), 1u) << job.id.ToString();
    ExpectSameJob(by_id.at(job.id), job);
  }
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

TEST_F(SqliteStoreTest, CommitsTenThousandJobsInOneCall) {
  constexpr int kJobs = 10'000;
  std::vector<core::Job> jobs;
  jobs.reserve(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(SimpleJob("t" + std::to_string(i)));
    jobs.back().spec.set_payload(std::string(100, static_cast<char>(i)));
  }
  std::vector<const core::Job*> changed;
  for (const core::Job& job : jobs) {
    changed.push_back(&job);
  }
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitJobs(*store, changed, {}).ok());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto recovered = RecoverJobs(*store);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  auto by_id = ById(std::move(*recovered));
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kJobs));
  for (const core::Job& job : jobs) {
    auto it = by_id.find(job.id);
    ASSERT_NE(it, by_id.end());
    ASSERT_EQ(it->second.spec.task(), job.spec.task());
    ASSERT_EQ(it->second.spec.payload(), job.spec.payload());
  }
}

TEST_F(SqliteStoreTest, AFailedCommitWritesNothing) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  core::Job old_job = SimpleJob("old");
  ASSERT_TRUE(CommitJobs(*store, {&old_job}, {}).ok());
  // Another program makes every DELETE fail: the upsert of the same call,
  // which ran before it, must not stay.
  RawExec(
      "CREATE TRIGGER no_delete BEFORE DELETE ON jobs "
      "BEGIN SELECT RAISE(ABORT, 'deletes refused by test'); END;");
  core::Job new_job = SimpleJob("new");
  core::Job changed_old = old_job;
  changed_old.state = wire::JOB_STATE_RUNNING;
  absl::Status status = CommitJobs(*store, {&new_job, &changed_old}, {old_job.id});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("deletes refused by test"), std::string::npos) << status;
  EXPECT_NE(status.message().find(path_), std::string::npos) << status;

  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  ExpectSameJob((*jobs)[0], old_job);

  // The store still works afterwards.
  RawExec("DROP TRIGGER no_delete;");
  ASSERT_TRUE(CommitJobs(*store, {&new_job}, {old_job.id}).ok());
  jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  ExpectSameJob((*jobs)[0], new_job);
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

TEST_F(SqliteStoreTest, SentinelsSurviveAReopenUntilRemoved) {
  const JobId first = NextId();
  const JobId second = NextId();
  const JobId fired_at_once = NextId();
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    const std::vector<core::SentinelMark> added = {
        {first, "default"}, {second, "emails"}, {fired_at_once, "default"}};
    const std::vector<JobId> removed = {fired_at_once};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, added, removed}).ok());
  }
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    auto recovered = store->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    std::map<JobId, std::string> sentinels;
    for (const core::SentinelMark& mark : recovered->sentinels) {
      sentinels[mark.id] = mark.queue;
    }
    EXPECT_EQ(sentinels, (std::map<JobId, std::string>{{first, "default"}, {second, "emails"}}));
    const std::vector<JobId> removed = {first};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, {}, removed}).ok());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->sentinels.size(), 1u);
  EXPECT_EQ(recovered->sentinels[0].id, second);
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

TEST_F(SqliteStoreTest, SchedulesSurviveAReopenUntilRemoved) {
  ScheduleRecord tick;
  tick.mutable_spec()->set_name("tick");
  tick.mutable_spec()->set_every_ms(1000);
  tick.mutable_spec()->mutable_job()->set_task("noop");
  tick.set_cursor_ms(1'700'000'003'000);
  tick.set_fired(3);
  ScheduleRecord gone = tick;
  gone.mutable_spec()->set_name("gone");
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    const std::vector<ScheduleRecord> changed = {tick, gone};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, {}, {}, changed, {}}).ok());
    // Removed and added again under its name in one batch: erased first.
    const std::vector<std::string> erased = {"gone", "tick"};
    const std::vector<ScheduleRecord> again = {tick};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, {}, {}, again, erased}).ok());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->schedules.size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(recovered->schedules[0], tick));
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
