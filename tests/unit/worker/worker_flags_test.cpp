#include "worker/worker_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/worker/parse_worker_args.h"

namespace jobq::worker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Action = FlagsOutcome::Action;

TEST(WorkerFlagsTest, DefaultsWithoutFlags) {
  WorkerConfig config;
  ASSERT_EQ(ParseWorkerArgs({}, &config).action, Action::kRun);
  EXPECT_EQ(config.broker, "tcp://127.0.0.1:5556");
  EXPECT_THAT(config.queues, ElementsAre("default"));
  EXPECT_EQ(config.io_threads, DefaultIoThreads());
  EXPECT_GE(config.io_threads, 1u);
  EXPECT_THAT(config.name, HasSubstr("-"));
  EXPECT_EQ(config.log_level, LogLevel::kInfo);
  EXPECT_EQ(config.prefetch, 0u) << "a worker takes one job per thread unless told otherwise";
}

TEST(WorkerFlagsTest, TakesEveryFlag) {
  WorkerConfig config;
  ASSERT_EQ(
      ParseWorkerArgs({"--broker", "tcp://broker.local:6000", "--queues", "a,b,a", "--io-threads",
                       "8", "--name", "w1", "--log-level", "debug", "--prefetch", "500"},
                      &config)
          .action,
      Action::kRun);
  EXPECT_EQ(config.broker, "tcp://broker.local:6000");
  EXPECT_THAT(config.queues, ElementsAre("a", "b")) << "duplicates are dropped";
  EXPECT_EQ(config.io_threads, 8u);
  EXPECT_EQ(config.prefetch, 500u);
  EXPECT_EQ(config.name, "w1");
  EXPECT_EQ(config.log_level, LogLevel::kDebug);
}

TEST(WorkerFlagsTest, VersionIsNameThenVersionForHelp2man) {
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs({"--version"}, &config);
  EXPECT_EQ(outcome.action, Action::kPrintHelp);
  EXPECT_THAT(outcome.text, ::testing::MatchesRegex("jobq-worker [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST(WorkerFlagsTest, HelpShowsNoDefaultOfThisMachine) {
  // The man page is made from --help on the build host.
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs({"--help"}, &config);
  ASSERT_EQ(outcome.action, Action::kPrintHelp);
  EXPECT_THAT(outcome.text, HasSubstr("--io-threads INT "));
  EXPECT_THAT(outcome.text, HasSubstr("--cpu-procs INT "));
  EXPECT_THAT(outcome.text, HasSubstr("--name TEXT "));
}

struct BadFlags {
  std::vector<const char*> args;
  const char* says;
};

class WorkerFlagsErrorTest : public ::testing::TestWithParam<BadFlags> {};

TEST_P(WorkerFlagsErrorTest, IsAUsageErrorThatSaysWhatIsWrong) {
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs(GetParam().args, &config);
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_THAT(outcome.text, HasSubstr(GetParam().says));
  EXPECT_THAT(outcome.text, HasSubstr("--help"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WorkerFlagsErrorTest,
    ::testing::Values(BadFlags{{"--io-threads", "0"}, "--io-threads must be between 1 and"},
                      BadFlags{{"--io-threads", "5000"}, "got 5000"},
                      BadFlags{{"--io-threads", "many"}, "--io-threads"},
                      BadFlags{{"--prefetch", "-1"}, "--prefetch must be between 0 and"},
                      BadFlags{{"--prefetch", "1000000"}, "got 1000000"},
                      BadFlags{{"--queues", "defa\xf5lt"}, "not UTF-8"},
                      BadFlags{{"--name", "w\xc0\xaf"}, "--name must be UTF-8"},
                      BadFlags{{"--log-level", "loud"}, "--log-level must be"},
                      BadFlags{{"--broker", "localhost:5556"}, "--broker must be"},
                      BadFlags{{"--broker", "tcp://host"}, "tcp://HOST:PORT"},
                      BadFlags{{"--broker", "tcp://a:1,tcp://b"}, "got \"tcp://b\""},
                      BadFlags{{"--broker", "tcp://a:1,,tcp://b:2"}, "endpoint 2 of"},
                      BadFlags{{"--broker", "tcp://a:1, tcp://a:1"}, "given twice"},
                      BadFlags{{"--queues", ""}, "--queues"}, BadFlags{{"--name", ""}, "--name"},
                      BadFlags{{"--frobnicate"}, "--frobnicate"}));

TEST(WorkerFlagsTest, BrokersSharingAStoreAreGivenAsAList) {
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs({"--broker", "tcp://a:5556, tcp://b:5556"}, &config);
  ASSERT_EQ(outcome.action, Action::kRun) << outcome.text;
  EXPECT_EQ(config.broker, "tcp://a:5556, tcp://b:5556");
}

TEST(WorkerFlagsTest, HelpIsNotAnError) {
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs({"--help"}, &config);
  EXPECT_EQ(outcome.action, Action::kPrintHelp);
  EXPECT_THAT(outcome.text, HasSubstr("--io-threads"));
}

}  // namespace
}  // namespace jobq::worker
