// jobq-broker --migrate-store (broker/migrate/migrate_store.h) on real
// stores: SQLite files in a directory of the test's own and databases on a
// real PostgreSQL 15 server (one per test binary). Copies in each direction
// come back record for record; every refusal (a broker serving on either
// store, a destination that holds anything, a missing file, a malformed
// URL, a refused password, a newer schema, one store named twice) names its
// cause and writes nothing; and the real jobq-broker binary does it once
// end to end, with its exit codes.

#include "broker/migrate/migrate_store.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/store/postgres_lease.h"
#include "broker/store/postgres_store.h"
#include "broker/store/sqlite_store.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/broker/store_test_jobs.h"

namespace jobq::broker::migrate {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::jobq::testing::PostgresEnvironment;
using ::jobq::testing::PostgresServer;
using store::Recovered;
using store::Store;
using namespace std::chrono_literals;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

std::string DatabaseOf(const std::string& conninfo) {
  return conninfo.substr(conninfo.rfind('/') + 1);
}

bool Says(const absl::Status& status, const std::string& text) {
  return status.message().find(text) != absl::string_view::npos;
}

class MigrateStoreTest : public ::testing::Test, protected store::TestJobs {
 protected:
  void SetUp() override {
    server_ = PostgresEnvironment::server();
    ASSERT_NE(server_, nullptr);
  }

  std::string SqliteSpec(const std::string& name) const { return "sqlite:" + dir_.File(name); }

  std::unique_ptr<Store> Open(const std::string& spec) {
    absl::StatusOr<std::unique_ptr<Store>> store;
    if (spec.rfind("sqlite:", 0) == 0) {
      auto opened = store::SqliteStore::Open(spec.substr(7));
      store = opened.ok() ? absl::StatusOr<std::unique_ptr<Store>>(*std::move(opened))
                          : opened.status();
    } else {
      auto opened = store::PostgresStore::Open(spec);
      store = opened.ok() ? absl::StatusOr<std::unique_ptr<Store>>(*std::move(opened))
                          : opened.status();
    }
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  Recovered RecoverAll(const std::string& spec) {
    std::unique_ptr<Store> store = Open(spec);
    if (store == nullptr) {
      return {};
    }
    absl::StatusOr<Recovered> recovered = store->Recover();
    EXPECT_TRUE(recovered.ok()) << recovered.status();
    return recovered.ok() ? *std::move(recovered) : Recovered{};
  }

  // Jobs in eight states, two sentinels, a schedule, two limits and a
  // workflow, committed to `spec` in two batches as a broker would.
  void Fill(const std::string& spec) {
    std::vector<core::Job> jobs;
    const std::vector<wire::JobState> states = {wire::JOB_STATE_QUEUED,  wire::JOB_STATE_SCHEDULED,
                                                wire::JOB_STATE_RUNNING, wire::JOB_STATE_SUCCEEDED,
                                                wire::JOB_STATE_DEAD,    wire::JOB_STATE_CANCELLED,
                                                wire::JOB_STATE_BLOCKED};
    for (wire::JobState state : states) {
      core::Job job = SimpleJob("noop");
      job.state = state;
      if (state == wire::JOB_STATE_RUNNING) {
        job.attempt = 1;
        job.leased_to = std::string("\0\x80w1", 4);
      }
      if (state == wire::JOB_STATE_SUCCEEDED) {
        job.result = "{\"sum\": 42}";
      }
      jobs.push_back(std::move(job));
    }
    jobs.push_back(FullJob());  // failed, every field set
    std::vector<const core::Job*> changed;
    for (const core::Job& job : jobs) {
      changed.push_back(&job);
    }
    const std::vector<core::SentinelMark> sentinels = {{NextId(), "default"}, {NextId(), "emails"}};
    store::ScheduleRecord tick;
    tick.mutable_spec()->set_name("tick");
    tick.mutable_spec()->set_every_ms(1000);
    tick.mutable_spec()->mutable_job()->set_task("noop");
    tick.set_cursor_ms(1'700'000'003'000);
    tick.set_fired(3);
    const std::vector<store::ScheduleRecord> schedules = {tick};
    const std::vector<core::LimitRecord> limits = {store::TestLimit("emails", "", 1, 10, 100, 0),
                                                   store::TestLimit("emails", "pdf", 0, 0, 0, 3)};
    store::WorkflowRecord workflow;
    workflow.set_id(std::string(NextId().Bytes()));
    workflow.set_name("nightly");
    workflow.set_created_ms(1'700'000'000'000);
    workflow.set_submit_token("token");
    const std::vector<store::WorkflowRecord> workflows = {workflow};

    std::unique_ptr<Store> store = Open(spec);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(store::CommitBatch{std::span(changed).first(4)}).ok());
    store::CommitBatch rest;
    rest.changed = std::span(changed).subspan(4);
    rest.sentinels_added = sentinels;
    rest.schedules_changed = schedules;
    rest.limits = limits;
    rest.workflows_changed = workflows;
    ASSERT_TRUE(store->Commit(rest).ok());
  }

  // Both stores hold the same records, field for field.
  void ExpectSameContents(const std::string& a_spec, const std::string& b_spec) {
    Recovered a = RecoverAll(a_spec);
    Recovered b = RecoverAll(b_spec);
    std::map<JobId, core::Job> a_jobs = store::ById(std::move(a.jobs));
    std::map<JobId, core::Job> b_jobs = store::ById(std::move(b.jobs));
    ASSERT_EQ(a_jobs.size(), b_jobs.size());
    for (const auto& [id, job] : a_jobs) {
      ASSERT_EQ(b_jobs.count(id), 1u) << id.ToString();
      store::ExpectSameJob(b_jobs.at(id), job);
    }
    auto sentinels = [](const Recovered& recovered) {
      std::map<JobId, std::string> by_id;
      for (const core::SentinelMark& mark : recovered.sentinels) {
        by_id[mark.id] = mark.queue;
      }
      return by_id;
    };
    EXPECT_EQ(sentinels(a), sentinels(b));
    ASSERT_EQ(a.schedules.size(), b.schedules.size());
    for (size_t i = 0; i < a.schedules.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(a.schedules[i], b.schedules[i]));
    }
    EXPECT_EQ(a.limits, b.limits);
    ASSERT_EQ(a.workflows.size(), b.workflows.size());
    for (size_t i = 0; i < a.workflows.size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(a.workflows[i], b.workflows[i]));
    }
  }

  void ExpectEmpty(const std::string& spec) {
    const Recovered recovered = RecoverAll(spec);
    EXPECT_TRUE(recovered.jobs.empty() && recovered.sentinels.empty() &&
                recovered.schedules.empty() && recovered.limits.empty() &&
                recovered.workflows.empty())
        << spec << " holds something";
  }

  // A lease taken as a serving broker takes it.
  std::unique_ptr<store::PostgresLease> Lead(const std::string& spec, const std::string& holder) {
    auto lease = store::PostgresLease::Open(spec, holder, "");
    EXPECT_TRUE(lease.ok()) << lease.status();
    if (!lease.ok()) {
      return nullptr;
    }
    absl::StatusOr<std::optional<int64_t>> epoch = (*lease)->TryAcquire(60s);
    EXPECT_TRUE(epoch.ok() && epoch->has_value()) << epoch.status();
    return *std::move(lease);
  }

  // Small batches, so that every copy here takes several transactions.
  static MigrateOptions Options() {
    MigrateOptions options;
    options.batch_records = 3;
    return options;
  }

  PostgresServer* server_ = nullptr;
  ::jobq::testing::TempDir dir_;
};

TEST_F(MigrateStoreTest, SqliteToPostgresCopiesEverythingChecksItAndLetsBrokersIn) {
  const std::string from = SqliteSpec("jobq.db");
  const std::string to = PostgresEnvironment::FreshDatabase();
  Fill(from);
  absl::StatusOr<MigrateReport> report = MigrateStore(from, to, Options());
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectSameContents(from, to);

  EXPECT_EQ(report->copied.jobs.size(), 8u);
  const std::string line = DescribeReport(*report);
  EXPECT_NE(line.find("copied 8 jobs (1 scheduled, 1 queued, 1 running, 1 succeeded, 1 failed, "
                      "1 dead, 1 cancelled, 1 blocked), 2 sentinels, 1 schedule, 2 limits, "
                      "1 workflow from " +
                      from + " to postgres://postgres@127.0.0.1:"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find("postgresql://"), std::string::npos) << "the store's name, not its URL";

  // Released: a broker takes the lease at its first try, and the file is
  // no longer locked.
  auto lease = store::PostgresLease::Open(to, "broker-a", "");
  ASSERT_TRUE(lease.ok()) << lease.status();
  absl::StatusOr<store::LeaderInfo> leader = (*lease)->Read();
  ASSERT_TRUE(leader.ok()) << leader.status();
  EXPECT_TRUE(leader->expired);
  EXPECT_NE(leader->holder.find("--migrate-store"), std::string::npos) << leader->holder;
  EXPECT_NE(Open(from), nullptr);
}

TEST_F(MigrateStoreTest, PostgresToSqliteAndSqliteToSqliteCopyEverything) {
  const std::string postgres = PostgresEnvironment::FreshDatabase();
  Fill(postgres);
  const std::string sqlite = SqliteSpec("from-postgres.db");
  absl::StatusOr<MigrateReport> report = MigrateStore(postgres, sqlite, Options());
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectSameContents(postgres, sqlite);

  // A bare path is how the flag takes a file; the library takes sqlite:.
  const std::string again = SqliteSpec("copy.db");
  report = MigrateStore(sqlite, again, Options());
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectSameContents(sqlite, again);
}

TEST_F(MigrateStoreTest, AnEmptySourceCopiesNothingAndSaysSo) {
  const std::string from = SqliteSpec("empty.db");
  ASSERT_NE(Open(from), nullptr);
  absl::StatusOr<MigrateReport> report = MigrateStore(from, SqliteSpec("to.db"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NE(DescribeReport(*report).find("copied 0 jobs, 0 sentinels, 0 schedules, 0 limits, "
                                         "0 workflows"),
            std::string::npos)
      << DescribeReport(*report);
}

TEST_F(MigrateStoreTest, ADestinationThatHoldsAnythingIsRefusedWithNothingWritten) {
  const std::string from = SqliteSpec("jobq.db");
  Fill(from);
  const std::string to = PostgresEnvironment::FreshDatabase();
  const core::Job there = SimpleJob("already-there");
  {
    std::unique_ptr<Store> store = Open(to);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store::CommitJobs(*store, {&there}, {}).ok());
  }
  absl::StatusOr<MigrateReport> report = MigrateStore(from, to, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Says(report.status(), "TO: postgres://postgres@127.0.0.1:")) << report.status();
  EXPECT_TRUE(Says(report.status(), "already holds 1 job (1 queued)")) << report.status();
  EXPECT_TRUE(Says(report.status(), "nothing was written")) << report.status();
  const Recovered recovered = RecoverAll(to);
  ASSERT_EQ(recovered.jobs.size(), 1u);
  store::ExpectSameJob(recovered.jobs[0], there);
  EXPECT_TRUE(recovered.sentinels.empty() && recovered.limits.empty());

  // A schedule alone is something too.
  const std::string sqlite_to = SqliteSpec("to.db");
  {
    std::unique_ptr<Store> store = Open(sqlite_to);
    ASSERT_NE(store, nullptr);
    store::ScheduleRecord schedule;
    schedule.mutable_spec()->set_name("only");
    const std::vector<store::ScheduleRecord> schedules = {schedule};
    ASSERT_TRUE(store->Commit(store::CommitBatch{.schedules_changed = schedules}).ok());
  }
  report = MigrateStore(from, sqlite_to, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(Says(report.status(), "already holds 0 jobs, 0 sentinels, 1 schedule"))
      << report.status();
  EXPECT_TRUE(RecoverAll(sqlite_to).jobs.empty());
}

TEST_F(MigrateStoreTest, APostgresSourceWithALeaderIsRefusedAndNoFileIsMade) {
  const std::string from = PostgresEnvironment::FreshDatabase();
  Fill(from);
  auto leader = Lead(from, "broker-a");
  ASSERT_NE(leader, nullptr);
  const std::string to_path = dir_.File("never.db");
  absl::StatusOr<MigrateReport> report = MigrateStore(from, "sqlite:" + to_path, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Says(report.status(), "FROM: postgres://")) << report.status();
  EXPECT_TRUE(Says(report.status(), "\"broker-a\" leads on this store")) << report.status();
  EXPECT_TRUE(Says(report.status(), "stop every broker")) << report.status();
  EXPECT_FALSE(std::filesystem::exists(to_path));

  // Its lease untouched: still broker-a's epoch.
  absl::StatusOr<bool> renewed = leader->Renew(1, 60s);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_TRUE(*renewed);
}

TEST_F(MigrateStoreTest, APostgresDestinationWithALeaderIsRefusedWithNothingWritten) {
  const std::string from = SqliteSpec("jobq.db");
  Fill(from);
  const std::string to = PostgresEnvironment::FreshDatabase();
  auto leader = Lead(to, "broker-b");
  ASSERT_NE(leader, nullptr);
  absl::StatusOr<MigrateReport> report = MigrateStore(from, to, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Says(report.status(), "TO: postgres://")) << report.status();
  EXPECT_TRUE(Says(report.status(), "\"broker-b\" leads")) << report.status();
  ExpectEmpty(to);
}

TEST_F(MigrateStoreTest, AnSqliteFileInUseByABrokerIsRefused) {
  const std::string from = SqliteSpec("jobq.db");
  Fill(from);
  const std::string to = SqliteSpec("to.db");
  {
    // A running broker holds its store open, and with it the file's lock.
    std::unique_ptr<Store> broker = Open(from);
    ASSERT_NE(broker, nullptr);
    absl::StatusOr<MigrateReport> report = MigrateStore(from, to, Options());
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(Says(report.status(), "FROM: " + from + ": another process (a jobq-broker?)"))
        << report.status();
    EXPECT_FALSE(std::filesystem::exists(dir_.File("to.db")));
  }
  {
    std::unique_ptr<Store> broker = Open(to);
    ASSERT_NE(broker, nullptr);
    absl::StatusOr<MigrateReport> report = MigrateStore(from, to, Options());
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(Says(report.status(), "TO: " + to + ": another process")) << report.status();
  }
  ExpectEmpty(to);
}

TEST_F(MigrateStoreTest, BadStoresAreClearErrorsAndWriteNothing) {
  const std::string from = SqliteSpec("jobq.db");
  Fill(from);
  struct Case {
    std::string from;
    std::string to;
    absl::StatusCode code;
    std::string says;
  };
  const std::string port = std::to_string(server_->port());
  const std::vector<Case> cases = {
      {SqliteSpec("missing.db"), SqliteSpec("to.db"), absl::StatusCode::kNotFound,
       "FROM: " + SqliteSpec("missing.db") + ": no such file"},
      {SqliteSpec("empty-file"), SqliteSpec("to.db"), absl::StatusCode::kFailedPrecondition,
       "FROM: " + SqliteSpec("empty-file") + ": an empty file, not a jobq store"},
      {from, "postgres://jobq@127.0.0.1:" + port + "/%zz", absl::StatusCode::kInvalidArgument,
       "TO: postgres: cannot parse the connection string (invalid percent-encoded token"},
      {from, "postgres://jobq@127.0.0.1:port/jobq", absl::StatusCode::kUnavailable,
       "TO: postgres://jobq@127.0.0.1:port/jobq: cannot connect: invalid integer value \"port\""},
      {from, "memory", absl::StatusCode::kInvalidArgument, "TO: memory keeps nothing"},
      {"memory", from, absl::StatusCode::kInvalidArgument, "FROM: memory keeps nothing"},
      {from, from, absl::StatusCode::kInvalidArgument, "the same"},
      {from, "sqlite:" + dir_.path() + "/./jobq.db", absl::StatusCode::kInvalidArgument,
       "FROM and TO are the same file"},
      {from, SqliteSpec("no-such-dir/to.db"), absl::StatusCode::kFailedPrecondition,
       "TO: " + SqliteSpec("no-such-dir/to.db")},
  };
  ::jobq::testing::WriteFile(dir_.File("empty-file"), "");
  for (const Case& c : cases) {
    absl::StatusOr<MigrateReport> report = MigrateStore(c.from, c.to, Options());
    ASSERT_FALSE(report.ok()) << c.from << " -> " << c.to;
    EXPECT_EQ(report.status().code(), c.code) << report.status();
    EXPECT_TRUE(Says(report.status(), c.says)) << report.status();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.File("to.db")));
  EXPECT_EQ(RecoverAll(from).jobs.size(), 8u) << "FROM is only read";
}

TEST_F(MigrateStoreTest, ARefusedPasswordAndANewerSchemaAreRefusedWithNothingWritten) {
  const std::string from = SqliteSpec("jobq.db");
  Fill(from);
  const std::string to = PostgresEnvironment::FreshDatabase();
  const std::string db = DatabaseOf(to);
  ASSERT_TRUE(server_->CreatePasswordRole("right-secret", db).ok());
  absl::StatusOr<MigrateReport> report =
      MigrateStore(from,
                   absl::StrCat("postgresql://", PostgresServer::kPasswordRole,
                                ":wrong-secret@127.0.0.1:", server_->port(), "/", db),
                   Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Says(report.status(), "TO: postgres://")) << report.status();
  EXPECT_TRUE(Says(report.status(), "password")) << report.status();
  EXPECT_FALSE(Says(report.status(), "wrong-secret")) << report.status();

  ASSERT_NE(Open(to), nullptr);  // the schema, as jobq makes it
  ASSERT_TRUE(server_->Exec(db, "UPDATE jobq_schema SET version = version + 1").ok());
  report = MigrateStore(from, to, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Says(report.status(), "newer")) << report.status();
  absl::StatusOr<std::string> jobs = server_->QueryValue(db, "SELECT count(*) FROM jobq_jobs");
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_EQ(*jobs, "0");
}

TEST_F(MigrateStoreTest, AFailureAfterTheFirstBatchSaysThatToHoldsPartAndHowToEmptyIt) {
  const std::string from = SqliteSpec("jobq.db");
  Fill(from);
  const std::string to = PostgresEnvironment::FreshDatabase();
  ASSERT_NE(Open(to), nullptr);
  // Another program's trigger refuses the last job (FullJob's queue), in
  // the third batch of three.
  ASSERT_TRUE(server_
                  ->Exec(DatabaseOf(to),
                         "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                         "$$ BEGIN RAISE EXCEPTION 'refused by test'; END $$;"
                         "CREATE TRIGGER refuse BEFORE INSERT ON jobq_jobs FOR EACH ROW "
                         "WHEN (NEW.queue = 'emails') EXECUTE FUNCTION refuse()")
                  .ok());
  absl::StatusOr<MigrateReport> report = MigrateStore(from, to, Options());
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(Says(report.status(), "TO: postgres://")) << report.status();
  EXPECT_TRUE(Says(report.status(), "refused by test")) << report.status();
  EXPECT_TRUE(Says(report.status(), "now holds part of the copy: empty it (TRUNCATE jobq_jobs"))
      << report.status();
  EXPECT_EQ(RecoverAll(to).jobs.size(), 6u) << "two batches of three";
}

TEST_F(MigrateStoreTest, OneDatabaseNamedTwiceIsRefused) {
  const std::string from = PostgresEnvironment::FreshDatabase();
  Fill(from);
  absl::StatusOr<MigrateReport> report =
      MigrateStore(from, from + "?application_name=other", Options());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Says(report.status(), "FROM and TO are the same database")) << report.status();
  EXPECT_EQ(RecoverAll(from).jobs.size(), 8u);
}

// A figure for docs/operations.md, not a check: JOBQ_MIGRATE_BENCH_JOBS=N
// copies N small jobs from SQLite to PostgreSQL and prints the report.
TEST_F(MigrateStoreTest, ManyJobsTimedWhenAsked) {
  const char* wanted = std::getenv("JOBQ_MIGRATE_BENCH_JOBS");
  if (wanted == nullptr) {
    GTEST_SKIP() << "set JOBQ_MIGRATE_BENCH_JOBS=N to time a copy of N jobs";
  }
  const size_t total = std::stoul(wanted);
  const std::string from = SqliteSpec("many.db");
  {
    std::unique_ptr<Store> store = Open(from);
    ASSERT_NE(store, nullptr);
    std::vector<core::Job> jobs;
    std::vector<const core::Job*> changed;
    for (size_t done = 0; done < total; done += jobs.size()) {
      jobs.clear();
      changed.clear();
      for (size_t i = done; i < std::min(total, done + 10'000); ++i) {
        jobs.push_back(SimpleJob("noop"));
        jobs.back().spec.set_payload("{\"n\": 1000}");
      }
      for (const core::Job& job : jobs) {
        changed.push_back(&job);
      }
      ASSERT_TRUE(store::CommitJobs(*store, changed, {}).ok());
    }
  }
  absl::StatusOr<MigrateReport> report =
      MigrateStore(from, PostgresEnvironment::FreshDatabase(), MigrateOptions{});
  ASSERT_TRUE(report.ok()) << report.status();
  std::cout << DescribeReport(*report) << std::endl;
}

// The real program, once: what an operator runs and reads.
TEST_F(MigrateStoreTest, TheBrokerBinaryMigratesOnceThenRefusesAndExplains) {
  const std::string path = dir_.File("jobq.db");
  Fill("sqlite:" + path);
  const std::string to = PostgresEnvironment::FreshDatabase();
  using ::jobq::testing::RunCommand;
  ::jobq::testing::CommandResult run = RunCommand({JOBQ_BROKER_BIN, "--migrate-store", path, to});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(run.Says("jobq-broker: copied 8 jobs (")) << run.out << run.err;
  EXPECT_TRUE(run.Says("2 sentinels, 1 schedule, 2 limits, 1 workflow from sqlite:" + path))
      << run.out;
  ExpectSameContents("sqlite:" + path, to);

  run = RunCommand({JOBQ_BROKER_BIN, "--migrate-store", path, to});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(run.Says("jobq-broker: --migrate-store: TO: postgres://")) << run.err;
  EXPECT_TRUE(run.Says("already holds 8 jobs")) << run.err;

  run = RunCommand({JOBQ_BROKER_BIN, "--migrate-store", "memory", to});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_TRUE(run.Says("FROM is memory")) << run.err;
  EXPECT_EQ(RecoverAll(to).jobs.size(), 8u);
}

}  // namespace
}  // namespace jobq::broker::migrate
