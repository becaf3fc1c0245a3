#include "broker/broker_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/broker/parse_broker_flags.h"

namespace jobq::broker {
namespace {

using testing::Parse;
using testing::Parsed;

TEST(BrokerConfigTest, TheDefaultStoreIsSqliteInTheDataDir) {
  Parsed parsed = Parse({});
  ASSERT_TRUE(parsed.config);
  EXPECT_EQ(parsed.config->store, "sqlite:jobq-data/jobq.db");
  EXPECT_TRUE(parsed.config->store_in_data_dir);
  EXPECT_EQ(parsed.config->core.max_attempts, 1u);

  parsed = Parse({"--data-dir", "/var/lib/jobq"});
  ASSERT_TRUE(parsed.config);
  EXPECT_EQ(parsed.config->store, "sqlite:/var/lib/jobq/jobq.db");

  parsed = Parse({"--store", "memory", "--data-dir", "/unused"});
  ASSERT_TRUE(parsed.config);
  EXPECT_EQ(parsed.config->store, "memory");
  EXPECT_FALSE(parsed.config->store_in_data_dir);
}

TEST(BrokerConfigTest, RetryAndRetentionSettings) {
  Parsed parsed = Parse({"--retries", "3", "--backoff", "250ms", "--backoff-max", "10m",
                         "--result-ttl", "1h", "--dead-ttl", "30d", "--lease-grace", "2s",
                         "--queue", "emails:retries=5,backoff=2s", "--queue", "reports:retries=0"});
  ASSERT_TRUE(parsed.config) << parsed.exit_code;
  const core::CoreOptions& core = parsed.config->core;
  EXPECT_EQ(core.max_attempts, 4u);
  EXPECT_EQ(core.backoff_ms, 250);
  EXPECT_EQ(core.backoff_max_ms, 600'000);
  EXPECT_EQ(core.result_ttl_ms, 3'600'000);
  EXPECT_EQ(core.dead_ttl_ms, 30LL * 86'400'000);
  EXPECT_EQ(core.lease_grace_ms, 2000);
  ASSERT_EQ(core.queue_defaults.size(), 2u);
  EXPECT_EQ(core.queue_defaults.at("emails").max_attempts, 6u);
  EXPECT_EQ(core.queue_defaults.at("emails").backoff_ms, 2000);
  EXPECT_EQ(core.queue_defaults.at("reports").max_attempts, 1u);
  EXPECT_EQ(core.queue_defaults.at("reports").backoff_ms, 0) << "unset: the broker's";
}

TEST(BrokerConfigTest, AnEmptyValueIsRefusedNamingTheFlag) {
  for (const char* flag : {"--retries", "--heartbeat-ms", "--queue-max", "--result-ttl"}) {
    Parsed parsed = Parse({flag, ""});
    EXPECT_FALSE(parsed.config) << flag;
    EXPECT_EQ(parsed.exit_code, 2) << flag;
    EXPECT_NE(parsed.outcome.text.find(std::string(flag) + ": needs a value"), std::string::npos)
        << parsed.outcome.text;
  }
}

TEST(BrokerConfigTest, BadSettingsAreUsageErrors) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--queue", "emails"},
           {"--queue", ":retries=1"},
           {"--queue", "emails:retries=-1"},
           {"--queue", "emails:backoff=soon"},
           {"--queue", "emails:colour=blue"},
           {"--backoff", "fast"},
           {"--backoff", "0"},
           {"--backoff", "2h", "--backoff-max", "1h"},
           {"--result-ttl", "-5s"},
           {"--store", "postgres:x"},
           {"--data-dir", ""},
       }) {
    Parsed parsed = Parse(args);
    EXPECT_FALSE(parsed.config) << args[0] << " " << args[1];
    EXPECT_EQ(parsed.exit_code, 2) << args[0] << " " << args[1];
  }
}

}  // namespace
}  // namespace jobq::broker
