#include "broker/limit_flags.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/unit/broker/parse_broker_flags.h"

namespace jobq::broker {
namespace {

using testing::Parse;
using testing::Parsed;

TEST(LimitFlagsTest, EveryBoundCanBeSet) {
  Parsed parsed = Parse({"--message-max", "8MiB", "--payload-max", "256K", "--result-max", "2M",
                         "--batch-max", "500", "--jobs-max", "1000", "--queues-max", "10",
                         "--workers-max", "3", "--queue-max", "100", "--connections-max", "50"});
  ASSERT_TRUE(parsed.config) << parsed.outcome.text;
  const std::optional<BrokerConfig>& config = parsed.config;
  EXPECT_EQ(config->message_bytes_max, 8u << 20);
  EXPECT_EQ(config->core.payload_bytes_max, 256u << 10);
  EXPECT_EQ(config->core.result_bytes_max, 2u << 20);
  EXPECT_EQ(config->core.jobs_per_submit_max, 500u);
  EXPECT_EQ(config->core.jobs_max, 1000u);
  EXPECT_EQ(config->core.queues_max, 10u);
  EXPECT_EQ(config->core.workers_max, 3u);
  EXPECT_EQ(config->core.queue_depth_max, 100u);
  EXPECT_EQ(config->connections_max, 50u);
}

TEST(LimitFlagsTest, TheDefaultsFitTogether) {
  const std::optional<BrokerConfig> config = Parse({}).config;
  ASSERT_TRUE(config);
  EXPECT_EQ(CheckLimits(*config), "");
  // What unfinished messages may hold, documented in docs/operations.md:
  // a worker's RESULT of one --result-max result fits a message.
  EXPECT_EQ(config->message_bytes_max, 17u << 20);
  EXPECT_EQ(config->connections_max, 1000u);
}

TEST(LimitFlagsTest, BadValuesAreRefusedWithExitCode2) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--payload-max", "lots"},
           {"--message-max", "0"},
           {"--batch-max", "0"},
           {"--workers-max", "-1"},
           {"--connections-max", "0"},
           // A payload the broker accepts must fit in a message it accepts.
           {"--message-max", "1M", "--payload-max", "1M"},
           {"--message-max", "4M", "--result-max", "8M"},
       }) {
    Parsed parsed = Parse(args);
    EXPECT_FALSE(parsed.config) << args[0] << " " << args[1];
    EXPECT_EQ(parsed.exit_code, 2) << args[0] << " " << args[1];
  }
}

}  // namespace
}  // namespace jobq::broker
