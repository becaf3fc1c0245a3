#include "producer/cli/job_fields.h"

#include <gtest/gtest.h>

#include <limits>

namespace jobq::cli {
namespace {

TEST(ParseKindTest, AcceptsIoAndCpu) {
  EXPECT_EQ(ParseKind("io").value(), wire::KIND_IO);
  EXPECT_EQ(ParseKind("cpu").value(), wire::KIND_CPU);
}

TEST(ParseKindTest, RejectsAnythingElse) {
  for (const char* text : {"", "IO", "gpu", "io "}) {
    auto kind = ParseKind(text);
    ASSERT_FALSE(kind.ok()) << text;
    EXPECT_EQ(kind.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(TimeoutSecondsToMsTest, ConvertsSecondsWithFractions) {
  EXPECT_EQ(TimeoutSecondsToMs(0).value(), 0);
  EXPECT_EQ(TimeoutSecondsToMs(30).value(), 30000);
  EXPECT_EQ(TimeoutSecondsToMs(1.5).value(), 1500);
  EXPECT_EQ(TimeoutSecondsToMs(0.0004).value(), 1) << "a tiny timeout must not become none";
}

TEST(TimeoutSecondsToMsTest, RejectsNegativeHugeAndNonFinite) {
  EXPECT_FALSE(TimeoutSecondsToMs(-1).ok());
  EXPECT_FALSE(TimeoutSecondsToMs(1e12).ok());
  EXPECT_FALSE(TimeoutSecondsToMs(std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(TimeoutSecondsToMs(std::numeric_limits<double>::quiet_NaN()).ok());
}

TEST(RetriesToMaxAttemptsTest, IsRetriesPlusOne) {
  EXPECT_EQ(RetriesToMaxAttempts(0).value(), 1u);
  EXPECT_EQ(RetriesToMaxAttempts(3).value(), 4u);
}

TEST(RetriesToMaxAttemptsTest, RejectsNegativeAndHuge) {
  EXPECT_FALSE(RetriesToMaxAttempts(-1).ok());
  EXPECT_FALSE(RetriesToMaxAttempts(std::numeric_limits<int64_t>::max()).ok());
}

}  // namespace
}  // namespace jobq::cli
