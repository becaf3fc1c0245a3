// The CPU pool's flags: --cpu-procs, --max-jobs-per-child,
// --max-rss-per-child and --plugin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/worker/parse_worker_args.h"
#include "worker/worker_flags.h"

namespace jobq::worker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Action = FlagsOutcome::Action;

TEST(CpuPoolFlagsTest, DefaultsAreOneChildPerCoreAndNoLimits) {
  WorkerConfig config;
  ASSERT_EQ(ParseWorkerArgs({}, &config).action, Action::kRun);
  EXPECT_EQ(config.cpu_procs, DefaultCpuProcs());
  EXPECT_GE(config.cpu_procs, 1u);
  EXPECT_EQ(config.max_jobs_per_child, 0u);
  EXPECT_EQ(config.max_rss_per_child_bytes, 0u);
  EXPECT_TRUE(config.plugins.empty());
}

TEST(CpuPoolFlagsTest, TakesEveryFlag) {
  WorkerConfig config;
  FlagsOutcome outcome =
      ParseWorkerArgs({"--cpu-procs", "0", "--max-jobs-per-child", "100", "--max-rss-per-child",
                       "512M", "--plugin", "./a.so", "--plugin", "/opt/b.so"},
                      &config);
  ASSERT_EQ(outcome.action, Action::kRun) << outcome.text;
  EXPECT_EQ(config.cpu_procs, 0u) << "0 means no CPU pool";
  EXPECT_EQ(config.max_jobs_per_child, 100u);
  EXPECT_EQ(config.max_rss_per_child_bytes, 512u << 20);
  EXPECT_THAT(config.plugins, ElementsAre("./a.so", "/opt/b.so"));
}

TEST(CpuPoolFlagsTest, SizesTakeBinarySuffixes) {
  const std::vector<std::pair<const char*, uint64_t>> cases = {
      {"0", 0},           {"1048576", 1048576}, {"64k", 64 << 10},       {"512M", 512ull << 20},
      {"2G", 2ull << 30}, {"1T", 1ull << 40},   {"512MB", 512ull << 20}, {"3GiB", 3ull << 30},
      {"100B", 100}};
  for (const auto& [text, bytes] : cases) {
    WorkerConfig config;
    ASSERT_EQ(ParseWorkerArgs({"--max-rss-per-child", text}, &config).action, Action::kRun) << text;
    EXPECT_EQ(config.max_rss_per_child_bytes, bytes) << text;
  }
}

struct BadFlags {
  std::vector<const char*> args;
  const char* says;
};

class CpuPoolFlagsErrorTest : public ::testing::TestWithParam<BadFlags> {};

TEST_P(CpuPoolFlagsErrorTest, IsAUsageErrorThatSaysWhatIsWrong) {
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs(GetParam().args, &config);
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_THAT(outcome.text, HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CpuPoolFlagsErrorTest,
    ::testing::Values(BadFlags{{"--cpu-procs", "-1"}, "--cpu-procs must be between 0 and"},
                      BadFlags{{"--cpu-procs", "5000"}, "got 5000"},
                      BadFlags{{"--max-jobs-per-child", "-3"}, "--max-jobs-per-child"},
                      BadFlags{{"--max-rss-per-child", "lots"}, "--max-rss-per-child"},
                      BadFlags{{"--max-rss-per-child", "5X"}, "got \"5X\""},
                      BadFlags{{"--max-rss-per-child", "-1M"}, "--max-rss-per-child"},
                      BadFlags{{"--max-rss-per-child", "99999999999999999999"}, "99999"},
                      BadFlags{{"--max-rss-per-child", "20000000T"}, "--max-rss-per-child"},
                      BadFlags{{"--plugin", ""}, "--plugin: needs a value"}));

}  // namespace
}  // namespace jobq::worker
