#pragma once
// SqliteDirTest: the fixture of the SqliteStore tests, a fresh directory
// per test (removed afterwards) holding the store's file, path_.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "broker/store/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace jobq::broker::store {

class SqliteDirTest : public ::testing::Test {
 protected:
  // The store on path_; null (and the test failed) when it cannot be opened.
  std::unique_ptr<SqliteStore> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Runs `sql` on its own connection to the file, as another program would.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  // A store as jobq wrote it before schedules and limits (schema 2).
  void WriteVersionTwoFile() {
    RawExec(
        "PRAGMA application_id = 1246708305; PRAGMA user_version = 2;"
        "CREATE TABLE jobs (id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
        " state INTEGER NOT NULL, queue TEXT NOT NULL, record BLOB NOT NULL);"
        "CREATE TABLE sentinels (id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
        " queue TEXT NOT NULL);");
  }

  const ::jobq::testing::TempDir dir_;
  const std::string path_ = dir_.File("jobq.db");
};

}  // namespace jobq::broker::store
