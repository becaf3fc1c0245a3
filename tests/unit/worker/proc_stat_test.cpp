// Reading CPU time and memory from /proc, and the HEARTBEAT figures built
// from them, which count the worker's children too.
#include "worker/child/proc_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "worker/conn/process_stats.h"

namespace jobq::worker::child {
namespace {

TEST(ProcStatTest, ParsesTimesAfterACommandNameWithParentheses) {
  // Fields 3..13, then utime stime cutime cstime, then the rest.
  const std::string line =
      "4242 (jobq (worker) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 150 50 30 20 20 0 4 0 1 2 3";
  std::optional<CpuTimes> times = ParseStatCpuTimes(line, 100);
  ASSERT_TRUE(times.has_value());
  EXPECT_DOUBLE_EQ(times->own_seconds, 2.0);
  EXPECT_DOUBLE_EQ(times->reaped_seconds, 0.5);
}

TEST(ProcStatTest, RefusesWhatIsNotAStatLine) {
  EXPECT_FALSE(ParseStatCpuTimes("", 100).has_value());
  EXPECT_FALSE(ParseStatCpuTimes("4242 no parentheses 1 2 3", 100).has_value());
  EXPECT_FALSE(ParseStatCpuTimes("4242 (short) S 1 2", 100).has_value());
  EXPECT_FALSE(ParseStatCpuTimes("4242 (x) S 1 2 3 4 5 6 7 8 9 10 11 1 1 1 1", 0).has_value());
}

TEST(ProcStatTest, ReadsThisProcessAndNothingForAPidThatIsNot) {
  EXPECT_TRUE(ReadCpuTimes(0).has_value());
  EXPECT_GT(ReadRssBytes(0).value_or(0), 0u);
  EXPECT_TRUE(ReadCpuTimes(getpid()).has_value());
  EXPECT_FALSE(ReadCpuTimes(-1).has_value());
  EXPECT_FALSE(ReadRssBytes(-1).has_value());
}

TEST(ProcessStatsTest, AddsTheChildrensMemoryToTheWorkers) {
  ProcessStats alone;
  // This process stands in for a child: its memory then counts twice.
  ProcessStats with_child([] { return std::vector<pid_t>{getpid(), -1}; });
  const auto now = std::chrono::steady_clock::now();
  const uint64_t own = alone.Take(now).rss_bytes;
  const uint64_t total = with_child.Take(now).rss_bytes;
  EXPECT_GT(own, 0u);
  EXPECT_GT(total, own);
  EXPECT_EQ(with_child.Take(now + std::chrono::seconds(1)).cpu_percent >= 0, true);
}

}  // namespace
}  // namespace jobq::worker::child
