// PostgresStore and PostgresLease on a real PostgreSQL 15 server (one per
// test binary, a database per test): the contract suite of every durable
// store, then what only this store has: its schema and migrations, clear
// connection errors that never show a password, fencing by the lease's
// epoch, the lease itself, and a database that stops and comes back under
// a committing store.

#include "broker/store/postgres_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/store/deposed.h"
#include "broker/store/postgres_lease.h"
#include "tests/support/postgres_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"
#include "tests/unit/broker/store_contract.h"
#include "tests/unit/broker/store_test_jobs.h"

namespace jobq::broker::store {
namespace {

using ::jobq::testing::IsReadyBy;
using ::jobq::testing::PostgresEnvironment;
using ::jobq::testing::PostgresServer;
using ::jobq::testing::WaitFor;
using namespace std::chrono_literals;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

std::string DatabaseOf(const std::string& conninfo) {
  return conninfo.substr(conninfo.rfind('/') + 1);
}

class PostgresUnderTest final : public StoreUnderTest {
 public:
  PostgresUnderTest() : conninfo_(PostgresEnvironment::FreshDatabase()) {}

  std::unique_ptr<Store> Open() override {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(conninfo_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // A trigger, which another program could have made.
  void RefuseJobDeletes(bool refuse) override {
    PostgresServer* server = PostgresEnvironment::server();
    ASSERT_NE(server, nullptr);
    const std::string sql =
        refuse ? "CREATE FUNCTION refuse_deletes() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN RAISE EXCEPTION 'deletes refused by test'; END $$;"
                 "CREATE TRIGGER no_delete BEFORE DELETE ON jobq_jobs "
                 "FOR EACH ROW EXECUTE FUNCTION refuse_deletes()"
               : "DROP TRIGGER no_delete ON jobq_jobs; DROP FUNCTION refuse_deletes()";
    absl::Status status = server->Exec(DatabaseOf(conninfo_), sql);
    EXPECT_TRUE(status.ok()) << status;
  }

 private:
  const std::string conninfo_;
};

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest,
                         ::testing::Values(StoreKind{
                             "Postgres", [] { return std::make_unique<PostgresUnderTest>(); }}),
                         StoreKindName);

class PostgresStoreTest : public ::testing::Test, protected TestJobs {
 protected:
  void SetUp() override {
    server_ = PostgresEnvironment::server();
    ASSERT_NE(server_, nullptr);
    conninfo_ = PostgresEnvironment::FreshDatabase();
    ASSERT_FALSE(conninfo_.empty());
    db_ = DatabaseOf(conninfo_);
  }

  void TearDown() override {
    // A test that stopped the server and failed before starting it again
    // leaves it running for the next one.
    if (server_ != nullptr && !server_->running()) {
      EXPECT_TRUE(server_->Start().ok());
    }
  }

  std::unique_ptr<PostgresStore> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(conninfo_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::unique_ptr<PostgresLease> LeaseOrDie(const std::string& holder) {
    absl::StatusOr<std::unique_ptr<PostgresLease>> lease =
        PostgresLease::Open(conninfo_, holder, "tcp://" + holder + ":5555");
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? std::move(*lease) : nullptr;
  }

  std::string Value(const std::string& sql) {
    absl::StatusOr<std::string> value = server_->QueryValue(db_, sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : "";
  }

  std::string Name(const std::string& user, const std::string& db) const {
    return absl::StrCat("postgres://", user, "@127.0.0.1:", server_->port(), "/", db);
  }

  PostgresServer* server_ = nullptr;
  std::string conninfo_;
  std::string db_;
};

TEST_F(PostgresStoreTest, SetsTheSchemaVersionAndAnExpiredLease) {
  ASSERT_NE(OpenOrDie(), nullptr);
  EXPECT_EQ(Value("SELECT version FROM jobq_schema"),
            std::to_string(PostgresStore::kSchemaVersion));
  EXPECT_EQ(Value("SELECT count(*) FROM jobq_schema"), "1");
  EXPECT_EQ(Value("SELECT epoch FROM jobq_leader"), "0");
  ASSERT_NE(OpenOrDie(), nullptr) << "a second Open finds the schema done";
  EXPECT_EQ(Value("SELECT count(*) FROM jobq_schema"), "1");
}

TEST_F(PostgresStoreTest, RefusesASchemaFromANewerJobq) {
  ASSERT_NE(OpenOrDie(), nullptr);
  ASSERT_TRUE(server_->Exec(db_, "UPDATE jobq_schema SET version = version + 1").ok());
  auto store = PostgresStore::Open(conninfo_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find(Name("postgres", db_)), std::string::npos)
      << store.status();
}

TEST_F(PostgresStoreTest, RefusesASecondStoreInAnotherSchemaOfTheDatabaseWritingNothing) {
  std::unique_ptr<PostgresStore> in_public = OpenOrDie();
  ASSERT_NE(in_public, nullptr);
  ASSERT_TRUE(server_->Exec(db_, "CREATE SCHEMA other").ok());
  const std::string in_other = conninfo_ + (conninfo_.find('?') == std::string::npos ? "?" : "&") +
                               "options=-csearch_path%3Dother";
  absl::StatusOr<std::unique_ptr<PostgresStore>> refused = PostgresStore::Open(in_other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("uses schema \"public\" of this database, and this one's "
                                   "connection string leads to schema \"other\""));
  EXPECT_EQ(Value("SELECT count(*) FROM pg_tables WHERE schemaname = 'other'"), "0")
      << "nothing written";

  // Once the first store's broker is gone, the other schema is free to use.
  in_public.reset();
  ASSERT_TRUE(WaitFor([&] { return PostgresStore::Open(in_other).ok(); }));
}

TEST_F(PostgresStoreTest, TwoBrokersOpeningAtOnceBothSucceedAndMigrateOnce) {
  auto open = [&] { return PostgresStore::Open(conninfo_); };
  auto first = std::async(std::launch::async, open);
  auto second = std::async(std::launch::async, open);
  absl::StatusOr<std::unique_ptr<PostgresStore>> a = first.get();
  absl::StatusOr<std::unique_ptr<PostgresStore>> b = second.get();
  EXPECT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Value("SELECT count(*) FROM jobq_schema"), "1");
  EXPECT_EQ(Value("SELECT count(*) FROM jobq_leader"), "1");
}

TEST_F(PostgresStoreTest, DescribesItselfWithoutThePassword) {
  ASSERT_TRUE(server_->CreatePasswordRole("right-secret", db_).ok());
  auto store =
      PostgresStore::Open(absl::StrCat("postgresql://", PostgresServer::kPasswordRole,
                                       ":right-secret@127.0.0.1:", server_->port(), "/", db_));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Describe(), Name(PostgresServer::kPasswordRole, db_));
  EXPECT_TRUE((*store)->durable());
}

TEST_F(PostgresStoreTest, ReadsThePasswordFromAPasswordFile) {
  ASSERT_TRUE(server_->CreatePasswordRole("file-secret", db_).ok());
  const ::jobq::testing::TempDir dir;
  const std::string passfile = dir.File("pgpass");
  std::ofstream(passfile) << "127.0.0.1:" << server_->port() << ":" << db_ << ":"
                          << PostgresServer::kPasswordRole << ":file-secret\n";
  ASSERT_EQ(::chmod(passfile.c_str(), 0600), 0);  // libpq ignores a file others can read
  const std::string keywords =
      absl::StrCat("host=127.0.0.1 port=", server_->port(), " dbname=", db_,
                   " user=", PostgresServer::kPasswordRole);
  auto store = PostgresStore::Open(keywords + " passfile=" + passfile);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Describe(), Name(PostgresServer::kPasswordRole, db_));

  ::setenv("PGPASSFILE", passfile.c_str(), 1);
  auto from_environment = PostgresStore::Open(keywords);
  ::unsetenv("PGPASSFILE");
  EXPECT_TRUE(from_environment.ok()) << from_environment.status();
}

TEST_F(PostgresStoreTest, AWrongPasswordIsAClearErrorThatDoesNotShowIt) {
  ASSERT_TRUE(server_->CreatePasswordRole("right-secret", db_).ok());
  auto store =
      PostgresStore::Open(absl::StrCat("postgresql://", PostgresServer::kPasswordRole,
                                       ":wrong-secret@127.0.0.1:", server_->port(), "/", db_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kPermissionDenied);
  const std::string message(store.status().message());
  EXPECT_NE(message.find(Name(PostgresServer::kPasswordRole, db_)), std::string::npos) << message;
  EXPECT_NE(message.find("password"), std::string::npos) << message;
  EXPECT_EQ(message.find("wrong-secret"), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, AClosedPortIsAClearError) {
  // A port of our own server, stopped: nothing listens there.
  PostgresServer* server = server_;
  const int port = server->port();
  ASSERT_TRUE(server->Stop().ok());
  auto store = PostgresStore::Open(
      absl::StrCat("postgresql://someone:hidden-secret@127.0.0.1:", port, "/", db_));
  ASSERT_TRUE(server->Start().ok());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  const std::string message(store.status().message());
  EXPECT_NE(message.find(Name("someone", db_)), std::string::npos) << message;
  EXPECT_NE(message.find("cannot connect"), std::string::npos) << message;
  EXPECT_EQ(message.find("hidden-secret"), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, AMissingDatabaseIsAClearError) {
  auto store = PostgresStore::Open(server_->Conninfo("no_such_database"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(store.status().message().find(Name("postgres", "no_such_database")), std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find("createdb"), std::string::npos) << store.status();
}

TEST_F(PostgresStoreTest, AnUnparsableConnectionStringIsAClearErrorThatDoesNotShowAPassword) {
  auto store = PostgresStore::Open("host=127.0.0.1 password=hunter2 nonsense");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find("postgres://"), std::string::npos) << store.status();

  auto without_password = PostgresStore::Open("host=127.0.0.1 nonsense");
  ASSERT_FALSE(without_password.ok());
  EXPECT_NE(without_password.status().message().find("nonsense"), std::string::npos)
      << without_password.status();
}

TEST_F(PostgresStoreTest, AMissingUserAndAMissingTlsAreClearErrors) {
  auto no_user = PostgresStore::Open(
      absl::StrCat("postgresql://nobody_here@127.0.0.1:", server_->port(), "/", db_));
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(no_user.status().message().find("createuser"), std::string::npos) << no_user.status();

  // The test server has no TLS.
  auto no_tls = PostgresStore::Open(conninfo_ + "?sslmode=require");
  ASSERT_FALSE(no_tls.ok());
  EXPECT_EQ(no_tls.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(no_tls.status().message().find("sslmode"), std::string::npos) << no_tls.status();
}

TEST_F(PostgresStoreTest, ABatchSentTwiceLeavesWhatItLeftOnce) {
  // What a retry after a COMMIT lost in flight does.
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  core::Job kept = SimpleJob("kept");
  const core::Job erased = SimpleJob("erased");
  ASSERT_TRUE(CommitJobs(*store, {&erased}, {}).ok());
  kept.state = wire::JOB_STATE_RUNNING;
  const std::vector<core::SentinelMark> sentinels = {{NextId(), "default"}};
  const std::vector<const core::Job*> changed = {&kept};
  const std::vector<JobId> erase = {erased.id};
  const CommitBatch batch{changed, erase, sentinels, {}};
  ASSERT_TRUE(store->Commit(batch).ok());
  ASSERT_TRUE(store->Commit(batch).ok());
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->jobs.size(), 1u);
  ExpectSameJob(recovered->jobs[0], kept);
  ASSERT_EQ(recovered->sentinels.size(), 1u);
}

TEST_F(PostgresStoreTest, ABatchTooLargeForOneStatementIsSplitInOneTransaction) {
  // Past 64 MB of arrays the jobs go in several statements.
  constexpr int kJobs = 70;
  std::vector<core::Job> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(SimpleJob("large"));
    jobs.back().spec.set_payload(std::string(1 << 20, static_cast<char>('a' + i % 26)));
  }
  std::vector<const core::Job*> changed;
  for (const core::Job& job : jobs) {
    changed.push_back(&job);
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(CommitJobs(*store, changed, {}).ok());
  auto recovered = RecoverJobs(*store);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  auto by_id = ById(std::move(*recovered));
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kJobs));
  for (const core::Job& job : jobs) {
    ASSERT_EQ(by_id.count(job.id), 1u);
    EXPECT_EQ(by_id.at(job.id).spec.payload(), job.spec.payload());
  }
}

TEST_F(PostgresStoreTest, SessionsAreNamedAndSetUp) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(
      Value("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jobq-broker:public' "
            "AND datname = current_database()"),
      "1");
}

TEST_F(PostgresStoreTest, ADamagedRecordIsRefusedNamingTheJob) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const core::Job job = SimpleJob("damaged");
  ASSERT_TRUE(CommitJobs(*store, {&job}, {}).ok());
  // Field 1 (the id) says 5 bytes follow, and none do.
  ASSERT_TRUE(server_->Exec(db_, "UPDATE jobq_jobs SET record = '\\x0a05'::bytea").ok());
  auto recovered = store->Recover();
  ASSERT_FALSE(recovered.ok());
  EXPECT_EQ(recovered.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(recovered.status().message().find(job.id.ToString()), std::string::npos)
      << recovered.status();
}

TEST_F(PostgresStoreTest, ANewLeaderFencesTheOldOnesCommits) {
  auto store = OpenOrDie();
  auto old_leader = LeaseOrDie("old");
  auto new_leader = LeaseOrDie("new");
  ASSERT_TRUE(store && old_leader && new_leader);
  absl::StatusOr<std::optional<int64_t>> epoch = old_leader->TryAcquire(300ms);
  ASSERT_TRUE(epoch.ok() && epoch->has_value()) << epoch.status();
  store->SetFencingEpoch(**epoch);
  const core::Job kept = SimpleJob("kept");
  ASSERT_TRUE(CommitJobs(*store, {&kept}, {}).ok());

  // The old leader stops renewing; once its lease expires (by the
  // database's clock) the other takes it over.
  std::optional<int64_t> new_epoch;
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<std::optional<int64_t>> taken = new_leader->TryAcquire(60s);
    new_epoch = taken.ok() ? *taken : std::nullopt;
    return new_epoch.has_value();
  }));
  EXPECT_EQ(*new_epoch, **epoch + 1);

  const core::Job refused = SimpleJob("refused");
  absl::Status status = CommitJobs(*store, {&refused}, {kept.id});
  EXPECT_TRUE(IsDeposed(status)) << status;
  EXPECT_NE(status.message().find("new"), std::string::npos) << status;
  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u) << "the deposed broker's batch wrote nothing";
  ExpectSameJob((*jobs)[0], kept);

  absl::StatusOr<bool> renewed = old_leader->Renew(**epoch, 60s);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_FALSE(*renewed);
  // The new leader's store commits.
  store->SetFencingEpoch(*new_epoch);
  EXPECT_TRUE(CommitJobs(*store, {&refused}, {}).ok());
}

// A leader commits back to back: its renewals must not wait for its
// commits (they did, and a busy leader lost its own lease), while a
// takeover must wait for every commit in flight, even one that began before
// renewals changed the row.
TEST_F(PostgresStoreTest, ACommitInFlightHoldsOffATakeoverButNotARenewal) {
  ASSERT_NE(OpenOrDie(), nullptr);
  auto leader = LeaseOrDie("leader");
  auto standby = LeaseOrDie("standby");
  ASSERT_TRUE(leader && standby);
  absl::StatusOr<std::optional<int64_t>> epoch = leader->TryAcquire(60s);
  ASSERT_TRUE(epoch.ok() && epoch->has_value()) << epoch.status();

  // A commit in flight: a transaction that passed the fence and is still
  // open, as the store's first statement leaves it.
  absl::StatusOr<std::unique_ptr<::jobq::testing::PostgresSession>> commit =
      server_->OpenSession(db_);
  ASSERT_TRUE(commit.ok()) << commit.status();
  absl::Status fenced = (*commit)->Exec(absl::StrCat("BEGIN; SELECT jobq_fence(", **epoch, ")"));
  ASSERT_TRUE(fenced.ok()) << fenced;

  // The lease session's lock_timeout is 1 s: a renewal that waited for the
  // commit would fail.
  absl::StatusOr<bool> renewed = leader->Renew(**epoch, 60s);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_TRUE(*renewed);
  renewed = leader->Renew(**epoch, 1ms);  // lapses at once
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_TRUE(*renewed);

  absl::StatusOr<std::optional<int64_t>> taken = std::nullopt;
  ASSERT_TRUE(WaitFor([&] {
    taken = standby->TryAcquire(60s);
    return !taken.ok() || taken->has_value();
  }));
  EXPECT_FALSE(taken.ok()) << "taken over under a commit in flight, epoch "
                           << (taken.ok() ? **taken : 0);
  if (!taken.ok()) {
    EXPECT_NE(taken.status().message().find("lock timeout"), std::string::npos) << taken.status();
  }

  ASSERT_TRUE((*commit)->Exec("COMMIT").ok());
  ASSERT_TRUE(WaitFor([&] {
    taken = standby->TryAcquire(60s);
    return taken.ok() && taken->has_value();
  }));
  EXPECT_EQ(**taken, **epoch + 1);
}

TEST_F(PostgresStoreTest, TheLeaseIsTakenRenewedReadAndReleased) {
  auto a = LeaseOrDie("a");
  auto b = LeaseOrDie("b");
  ASSERT_TRUE(a && b);
  absl::StatusOr<LeaderInfo> info = a->Read();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->epoch, 0);
  EXPECT_TRUE(info->expired);

  absl::StatusOr<std::optional<int64_t>> epoch = a->TryAcquire(60s);
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  ASSERT_EQ(*epoch, std::optional<int64_t>(1));
  absl::StatusOr<std::optional<int64_t>> refused = b->TryAcquire(60s);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(*refused, std::nullopt) << "a live lease is not taken over";

  info = b->Read();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->epoch, 1);
  EXPECT_EQ(info->holder, "a");
  EXPECT_EQ(info->endpoint, "tcp://a:5555");
  EXPECT_FALSE(info->expired);
  EXPECT_GT(info->expires_in_ms, 0);
  EXPECT_LE(info->expires_in_ms, 60'000);

  absl::StatusOr<bool> renewed = a->Renew(1, 60s);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_TRUE(*renewed);

  ASSERT_TRUE(a->Release(1).ok());
  info = b->Read();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->expired);
  EXPECT_EQ(info->expires_in_ms, 0);

  absl::StatusOr<std::optional<int64_t>> taken = b->TryAcquire(60s);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(*taken, std::optional<int64_t>(2)) << "released: taken over at once";
  renewed = a->Renew(1, 60s);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_FALSE(*renewed) << "a was deposed";
  EXPECT_TRUE(a->Release(1).ok()) << "releasing a lease no longer ours changes nothing";
  info = a->Read();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->holder, "b");
  EXPECT_FALSE(info->expired);
}

TEST_F(PostgresStoreTest, AnExpiredLeaseIsTakenOverWithTheNextEpoch) {
  auto a = LeaseOrDie("a");
  auto b = LeaseOrDie("b");
  ASSERT_TRUE(a && b);
  absl::StatusOr<std::optional<int64_t>> epoch = a->TryAcquire(200ms);
  ASSERT_TRUE(epoch.ok() && epoch->has_value()) << epoch.status();
  std::optional<int64_t> taken;
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<std::optional<int64_t>> attempt = b->TryAcquire(60s);
    taken = attempt.ok() ? *attempt : std::nullopt;
    return taken.has_value();
  }));
  EXPECT_EQ(*taken, **epoch + 1);
  absl::StatusOr<bool> renewed = a->Renew(**epoch, 60s);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_FALSE(*renewed);
}

TEST_F(PostgresStoreTest, ALeaseCallOnAStoppedServerIsUnavailableAndTheNextOneReconnects) {
  auto lease = LeaseOrDie("a");
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(server_->Stop().ok());
  absl::StatusOr<LeaderInfo> info = lease->Read();
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable) << info.status();
  ASSERT_TRUE(server_->Start().ok());
  info = lease->Read();
  EXPECT_TRUE(info.ok()) << info.status();
}

TEST_F(PostgresStoreTest, TheFirstLeaseCallAfterARestartOfTheServerSucceeds) {
  auto lease = LeaseOrDie("a");
  ASSERT_NE(lease, nullptr);
  absl::StatusOr<std::optional<int64_t>> epoch = lease->TryAcquire(std::chrono::seconds(60));
  ASSERT_TRUE(epoch.ok() && epoch->has_value()) << epoch.status();
  // Its connection dies with the server unnoticed: a clean stop's Release
  // must not fail on it, or the standbys wait out the whole lease.
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_TRUE(lease->Release(**epoch).ok());
  absl::StatusOr<LeaderInfo> info = lease->Read();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->expired);
}

// The server goes away under a store, by `stop`, and comes back: a commit
// made meanwhile waits, Health says why, and it lands once the server is
// back.
void CommitsThroughARestart(PostgresServer* server, PostgresStore& store,
                            const std::function<void()>& stop, TestJobs& jobs) {
  const core::Job before = jobs.SimpleJob("before");
  ASSERT_TRUE(CommitJobs(store, {&before}, {}).ok());
  stop();
  const core::Job during = jobs.SimpleJob("during");
  auto commit =
      std::async(std::launch::async, [&] { return CommitJobs(store, {&during}, {before.id}); });
  ASSERT_TRUE(WaitFor([&] {
    const StoreHealth health = store.Health();
    return !health.reachable && health.retries >= 2;
  }));
  const StoreHealth health = store.Health();
  EXPECT_NE(health.last_error.find(store.Describe()), std::string::npos) << health.last_error;
  EXPECT_GT(health.unreachable_since_unix_ms, 0);
  EXPECT_EQ(commit.wait_for(0s), std::future_status::timeout)
      << "a commit cannot have landed on a stopped server";

  ASSERT_TRUE(server->Start().ok());
  ASSERT_TRUE(IsReadyBy(commit));
  absl::Status status = commit.get();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(store.Health().reachable);
  auto recovered = RecoverJobs(store);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->size(), 1u);
  ExpectSameJob((*recovered)[0], during);
}

TEST_F(PostgresStoreTest, ACommitWaitsForADatabaseThatRestartsAndThenLands) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  CommitsThroughARestart(
      server_, *store, [&] { ASSERT_TRUE(server_->Stop().ok()); }, *this);
}

TEST_F(PostgresStoreTest, ACommitWaitsForADatabaseThatCrashesAndThenLands) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  CommitsThroughARestart(
      server_, *store, [&] { server_->Kill(); }, *this);
}

TEST_F(PostgresStoreTest, CancelEndsACommitWaitingForAStoppedServer) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(server_->Stop().ok());
  const core::Job job = SimpleJob("never");
  auto commit = std::async(std::launch::async, [&] { return CommitJobs(*store, {&job}, {}); });
  ASSERT_TRUE(WaitFor([&] { return !store->Health().reachable; }));
  store->Cancel();
  ASSERT_TRUE(IsReadyBy(commit));
  absl::Status status = commit.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("stopping"), std::string::npos) << status;
  ASSERT_TRUE(server_->Start().ok());
}

}  // namespace
}  // namespace jobq::broker::store
