// CheckSpecTimes and ClampSpecTimes at the edges of every JobSpec time
// field: 0, 1, the maximum, one past it, -1, and the int64 extremes.

#include "broker/core/spec_limits.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "common/time_limits.h"

namespace jobq::broker::core {
namespace {

constexpr TimeMs kNowMs = 1'700'000'000'000;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

using Setter = std::function<void(wire::JobSpec&, int64_t)>;

struct Field {
  const char* name;
  Setter set;
  int64_t max;
};

std::string Check(const Field& field, int64_t value) {
  wire::JobSpec spec;
  spec.set_task("t");
  field.set(spec, value);
  return CheckSpecTimes(spec, kNowMs);
}

class SpecLimitsTest : public ::testing::TestWithParam<Field> {};

TEST_P(SpecLimitsTest, AcceptsZeroToMaxAndRefusesTheRestNamingFieldAndMax) {
  const Field& field = GetParam();
  for (int64_t ok : {int64_t{0}, int64_t{1}, field.max - 1, field.max}) {
    EXPECT_EQ(Check(field, ok), "") << field.name << " = " << ok;
  }
  for (int64_t bad : {field.max + 1, int64_t{-1}, kInt64Max, kInt64Min}) {
    const std::string message = Check(field, bad);
    EXPECT_NE(message.find(field.name), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(field.max)), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(bad)), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, SpecLimitsTest,
    ::testing::Values(Field{"timeout_ms", [](wire::JobSpec& s, int64_t v) { s.set_timeout_ms(v); },
                            kJobTimeoutMsMax},
                      Field{"backoff_ms", [](wire::JobSpec& s, int64_t v) { s.set_backoff_ms(v); },
                            kDurationMsMax},
                      Field{"result_ttl_ms",
                            [](wire::JobSpec& s, int64_t v) { s.set_result_ttl_ms(v); },
                            kDurationMsMax},
                      Field{"not_before_ms",
                            [](wire::JobSpec& s, int64_t v) { s.set_not_before_ms(v); },
                            kNowMs + kDurationMsMax}),
    [](const ::testing::TestParamInfo<Field>& info) { return std::string(info.param.name); });

TEST(SpecLimitsValuesTest, TheMaximaAreAYearAndTenYears) {
  EXPECT_EQ(kJobTimeoutMsMax, 31'536'000'000);
  EXPECT_EQ(kDurationMsMax, 315'360'000'000);
}

TEST(SpecLimitsValuesTest, AClockAtTheEndOfInt64DoesNotOverflowTheNotBeforeBound) {
  wire::JobSpec spec;
  spec.set_not_before_ms(kInt64Max);
  EXPECT_NE(CheckSpecTimes(spec, kInt64Max), "");
  spec.set_not_before_ms(kNowMs);
  EXPECT_EQ(CheckSpecTimes(spec, kInt64Max), "");
}

TEST(ClampSpecTimesTest, StoredValuesOutOfRangeAreClampedOthersKept) {
  wire::JobSpec spec;
  spec.set_timeout_ms(kInt64Max);
  spec.set_backoff_ms(kInt64Min);
  spec.set_result_ttl_ms(kInt64Max);
  spec.set_not_before_ms(kInt64Min);
  ClampSpecTimes(&spec);
  EXPECT_EQ(spec.timeout_ms(), kJobTimeoutMsMax);
  EXPECT_EQ(spec.backoff_ms(), 0);
  EXPECT_EQ(spec.result_ttl_ms(), kDurationMsMax);
  EXPECT_EQ(spec.not_before_ms(), 0);

  wire::JobSpec fine;
  fine.set_timeout_ms(5);
  fine.set_backoff_ms(6);
  fine.set_result_ttl_ms(7);
  fine.set_not_before_ms(kNowMs);
  ClampSpecTimes(&fine);
  EXPECT_EQ(fine.timeout_ms(), 5);
  EXPECT_EQ(fine.backoff_ms(), 6);
  EXPECT_EQ(fine.result_ttl_ms(), 7);
  EXPECT_EQ(fine.not_before_ms(), kNowMs);
  EXPECT_EQ(ClampStoredTime(kInt64Max), kUnixMsMax);
  EXPECT_EQ(ClampStoredTime(-1), 0);
}

}  // namespace
}  // namespace jobq::broker::core
