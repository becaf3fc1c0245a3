// --store, --name and --leader-lease (broker/store_flags.h).

#include "broker/store_flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/unit/broker/parse_broker_flags.h"

namespace jobq::broker {
namespace {

using testing::Parse;
using testing::Parsed;

TEST(StoreFlagsTest, APostgresStoreTakesBothUriFormsAndTheEnvironment) {
  for (const char* store :
       {"postgres://jobq@db.example/jobq", "postgresql://db/jobq?sslmode=verify-full"}) {
    Parsed parsed = Parse({"--store", store});
    ASSERT_TRUE(parsed.config) << parsed.outcome.text;
    EXPECT_EQ(parsed.config->store, store);
    EXPECT_FALSE(parsed.config->store_in_data_dir);
  }
  ::setenv("JOBQ_STORE", "postgres://from-env/jobq", 1);
  Parsed from_env = Parse({});
  ::unsetenv("JOBQ_STORE");
  ASSERT_TRUE(from_env.config);
  EXPECT_EQ(from_env.config->store, "postgres://from-env/jobq");
  EXPECT_TRUE(IsPostgresStore("postgresql://x"));
  EXPECT_FALSE(IsPostgresStore("postgres:x"));
}

TEST(StoreFlagsTest, AnUnknownStoreNamesTheFormsThatExist) {
  Parsed parsed = Parse({"--store", "mysql://db/jobq"});
  ASSERT_FALSE(parsed.config);
  EXPECT_EQ(parsed.exit_code, 2);
  EXPECT_NE(parsed.outcome.text.find("unknown store \"mysql://db/jobq\""), std::string::npos)
      << parsed.outcome.text;
  EXPECT_NE(parsed.outcome.text.find("--store postgres://USER@HOST/DB"), std::string::npos);
  EXPECT_FALSE(Parse({"--store", "sqlite:"}).config);
}

TEST(StoreFlagsTest, TheLeaseHasBoundsAndTheNameADefault) {
  Parsed parsed = Parse({"--store", "postgres://db/jobq", "--leader-lease", "5s", "--name", "b1"});
  ASSERT_TRUE(parsed.config) << parsed.outcome.text;
  EXPECT_EQ(parsed.config->leader_lease_ms, 5000);
  EXPECT_EQ(parsed.config->name, "b1");

  parsed = Parse({"--store", "postgres://db/jobq"});
  ASSERT_TRUE(parsed.config);
  EXPECT_EQ(parsed.config->leader_lease_ms, 2000);
  EXPECT_NE(parsed.config->name.find(":" + std::to_string(::getpid())), std::string::npos)
      << parsed.config->name;

  for (const char* lease : {"100ms", "2m", "soon"}) {
    Parsed refused = Parse({"--leader-lease", lease});
    EXPECT_FALSE(refused.config) << lease;
    EXPECT_EQ(refused.exit_code, 2) << lease;
    EXPECT_NE(refused.outcome.text.find("--leader-lease"), std::string::npos)
        << refused.outcome.text;
  }
}

}  // namespace
}  // namespace jobq::broker
