#include "broker/limit_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jobq::broker {
namespace {

std::optional<BrokerConfig> Parse(std::vector<std::string> args, int* exit_code) {
  args.insert(args.begin(), "jobq-broker");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return ParseBrokerFlags(static_cast<int>(argv.size()), argv.data(), exit_code);
}

TEST(LimitFlagsTest, EveryBoundCanBeSet) {
  int exit_code = -1;
  std::optional<BrokerConfig> config =
      Parse({"--message-max", "8MiB", "--payload-max", "256K", "--result-max", "2M",
             "--batch-max", "500", "--jobs-max", "1000", "--queues-max", "10",
             "--workers-max", "3", "--queue-max", "100", "--connections-max", "50"},
            &exit_code);
  ASSERT_TRUE(config) << exit_code;
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
  int exit_code = -1;
  std::optional<BrokerConfig> config = Parse({}, &exit_code);
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
    int exit_code = -1;
    EXPECT_FALSE(Parse(args, &exit_code)) << args[0] << " " << args[1];
    EXPECT_EQ(exit_code, 2) << args[0] << " " << args[1];
  }
}

}  // namespace
}  // namespace jobq::broker
