// --migrate-store FROM TO (broker/migrate_store_flags.h): the forms each
// store takes, and every bad one refused as a usage error naming it.

#include "broker/migrate_store_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/broker/parse_broker_flags.h"

namespace jobq::broker {
namespace {

using testing::Parse;
using testing::Parsed;

TEST(MigrateStoreFlagsTest, TakesSqlitePathsInBothFormsAndPostgresUrls) {
  Parsed parsed = Parse({"--migrate-store", "/var/lib/jobq/jobq.db", "postgres://jobq@db/jobq"});
  ASSERT_TRUE(parsed.config) << parsed.outcome.text;
  EXPECT_EQ(parsed.config->migrate_from, "sqlite:/var/lib/jobq/jobq.db");
  EXPECT_EQ(parsed.config->migrate_to, "postgres://jobq@db/jobq");

  parsed = Parse({"--migrate-store", "postgresql://db/jobq?sslmode=verify-full", "sqlite:x.db"});
  ASSERT_TRUE(parsed.config) << parsed.outcome.text;
  EXPECT_EQ(parsed.config->migrate_from, "postgresql://db/jobq?sslmode=verify-full");
  EXPECT_EQ(parsed.config->migrate_to, "sqlite:x.db");
}

TEST(MigrateStoreFlagsTest, WithoutTheFlagTheBrokerServes) {
  Parsed parsed = Parse({});
  ASSERT_TRUE(parsed.config) << parsed.outcome.text;
  EXPECT_TRUE(parsed.config->migrate_from.empty());
  EXPECT_TRUE(parsed.config->migrate_to.empty());
}

TEST(MigrateStoreFlagsTest, BadArgumentsAreUsageErrorsNamingTheCause) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--migrate-store", "memory", "postgres://db/jobq"}, "FROM is memory, which keeps nothing"},
      {{"--migrate-store", "a.db", "memory"}, "TO is memory"},
      {{"--migrate-store", "mysql://db/jobq", "b.db"}, "FROM \"mysql://db/jobq\" is no store"},
      {{"--migrate-store", "a.db", "sqlite:"}, "TO is sqlite: without a path"},
      {{"--migrate-store", "a.db", "sqlite:a.db"}, "FROM and TO are the same store (a.db)"},
      {{"--migrate-store", "a.db", ""}, "needs a value"},
      {{"--migrate-store", "a.db"}, "--migrate-store"},
      {{"--migrate-store"}, "--migrate-store"},
  };
  for (const Case& c : cases) {
    Parsed parsed = Parse(c.args);
    EXPECT_FALSE(parsed.config) << c.says;
    EXPECT_EQ(parsed.exit_code, 2) << c.says;
    EXPECT_NE(parsed.outcome.text.find(c.says), std::string::npos) << parsed.outcome.text;
  }
}

TEST(MigrateStoreFlagsTest, TheHelpSaysWhatItDoes) {
  Parsed parsed = Parse({"--help"});
  EXPECT_EQ(parsed.exit_code, 0);
  EXPECT_NE(parsed.outcome.text.find("--migrate-store"), std::string::npos);
  EXPECT_NE(parsed.outcome.text.find("into the empty store TO"), std::string::npos);
}

}  // namespace
}  // namespace jobq::broker
