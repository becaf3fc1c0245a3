// SqliteStore's limits table (schema 3): a version-2 file migrates; a
// damaged row is refused on recovery, naming the limit. MemoryStore keeps
// them as the durable stores do (limits set, changed and cleared come back
// as committed: store_contract_test.cpp).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "broker/core/limit_record.h"
#include "broker/store/memory_store.h"
#include "broker/store/sqlite_store.h"
#include "tests/unit/broker/sqlite_test_dir.h"
#include "tests/unit/broker/store_test_jobs.h"

namespace jobq::broker::store {
namespace {

core::LimitRecord Cleared(const std::string& queue, const std::string& task) {
  core::LimitRecord record;
  record.queue = queue;
  record.task = task;
  record.cleared = true;
  return record;
}

absl::Status CommitLimits(Store& store, const std::vector<core::LimitRecord>& limits) {
  return store.Commit(CommitBatch{.limits = limits});
}

using SqliteLimitsTest = SqliteDirTest;

TEST_F(SqliteLimitsTest, AVersionTwoFileMigratesWithNoLimits) {
  WriteVersionTwoFile();
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<Recovered> recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_TRUE(recovered->limits.empty());
  EXPECT_TRUE(CommitLimits(*store, {TestLimit("q", "", 1, 1000, 1, 0)}).ok())
      << "the migration created the limits table";
}

TEST_F(SqliteLimitsTest, ADamagedLimitRowIsRefusedNamingTheLimit) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitLimits(*store, {TestLimit("q", "t", 1, 1000, 1, 0)}).ok());
  }
  RawExec("UPDATE limits SET burst = -4");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<Recovered> recovered = (*store)->Recover();
  ASSERT_FALSE(recovered.ok());
  EXPECT_EQ(recovered.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(recovered.status().message().find("queue q, task t"), std::string::npos)
      << recovered.status();
}

TEST(MemoryStoreLimitsTest, KeepsTheLastOfEachLimitAndForgetsClearedOnes) {
  MemoryStore store;
  ASSERT_TRUE(CommitLimits(store, {TestLimit("a", "", 0, 0, 0, 2), TestLimit("b", "", 0, 0, 0, 3),
                                   TestLimit("a", "", 0, 0, 0, 4), Cleared("b", "")})
                  .ok());
  absl::StatusOr<Recovered> recovered = store.Recover();
  ASSERT_TRUE(recovered.ok());
  ASSERT_EQ(recovered->limits.size(), 1u);
  EXPECT_EQ(recovered->limits[0], TestLimit("a", "", 0, 0, 0, 4));
}

}  // namespace
}  // namespace jobq::broker::store
