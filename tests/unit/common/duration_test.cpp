#include "common/duration.h"

#include <gtest/gtest.h>

#include "common/time_limits.h"

namespace jobq {
namespace {

TEST(DurationTest, ParsesEveryUnitAndPlainSeconds) {
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("30s"), 30'000);
  EXPECT_EQ(*ParseDurationMs("5m"), 300'000);
  EXPECT_EQ(*ParseDurationMs("24h"), 86'400'000);
  EXPECT_EQ(*ParseDurationMs("7d"), 604'800'000);
  EXPECT_EQ(*ParseDurationMs("1.5"), 1500);
  EXPECT_EQ(*ParseDurationMs("0"), 0);
}

TEST(DurationTest, APositiveDurationNeverRoundsToZero) { EXPECT_EQ(*ParseDurationMs("0.1ms"), 1); }

TEST(DurationTest, RejectsWhatIsNotADurationAndSaysWhatIs) {
  for (const char* bad : {"", "ms", "abc", "5x", "1h30m", "-1s", "nan", "1e30d"}) {
    absl::StatusOr<int64_t> parsed = ParseDurationMs(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseDurationMs("5x").status().message().find("30s"), std::string::npos);
}

TEST(DurationTest, TakesUpToTenYearsAndNothingBeyond) {
  EXPECT_EQ(*ParseDurationMs("0ms"), 0);
  EXPECT_EQ(*ParseDurationMs("1ms"), 1);
  EXPECT_EQ(*ParseDurationMs("3650d"), kDurationMsMax);
  EXPECT_EQ(*ParseDurationMs("315360000000ms"), kDurationMsMax);
  for (const char* bad : {"315360000001ms", "3651d", "-1ms", "9223372036854775807ms",
                          "-9223372036854775808ms", "9223372036854775807", "1e300"}) {
    absl::StatusOr<int64_t> parsed = ParseDurationMs(bad);
    EXPECT_FALSE(parsed.ok()) << bad << " = " << *parsed;
  }
  EXPECT_NE(ParseDurationMs("3651d").status().message().find("10 years"), std::string::npos);
}

TEST(DurationTest, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(FormatDurationMs(250), "250ms");
  EXPECT_EQ(FormatDurationMs(1500), "1500ms");
  EXPECT_EQ(FormatDurationMs(30'000), "30s");
  EXPECT_EQ(FormatDurationMs(86'400'000), "1d");
  EXPECT_EQ(FormatDurationMs(0), "0ms");
}

}  // namespace
}  // namespace jobq
