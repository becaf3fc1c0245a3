// The jobq CLI at the edges of what it takes: --timeout and --backoff (and
// their JSON Lines fields) at 0, 1 ms, the maximum, one past it, negative and
// the int64 extremes; --connect-timeout; --arg values that are not UTF-8;
// and flags given an empty value, which must be refused by name.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/time_limits.h"
#include "producer/cli/cli.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/global_flags.h"
#include "producer/cli/job_lines.h"
#include "producer/cli/submit_command.h"

namespace jobq::cli {
namespace {

using ::testing::HasSubstr;

constexpr double kInt64MaxAsDouble = static_cast<double>(std::numeric_limits<int64_t>::max());
constexpr double kInt64MinAsDouble = static_cast<double>(std::numeric_limits<int64_t>::min());

absl::StatusOr<wire::JobSpec> WithTimeout(double seconds) {
  SubmitFlags flags;
  flags.task = "noop";
  flags.timeout_seconds = seconds;
  return JobSpecFromFlags(flags);
}

absl::StatusOr<wire::JobSpec> WithBackoff(const std::string& backoff) {
  SubmitFlags flags;
  flags.task = "noop";
  flags.backoff = backoff;
  return JobSpecFromFlags(flags);
}

TEST(CliTimeLimitsTest, TimeoutTakesZeroToAYearAndNameItsBound) {
  EXPECT_EQ(WithTimeout(0)->timeout_ms(), 0);
  EXPECT_EQ(WithTimeout(0.001)->timeout_ms(), 1);
  EXPECT_EQ(WithTimeout(31'536'000)->timeout_ms(), kJobTimeoutMsMax);
  for (double bad : {31'536'000.001, -0.001, -1.0, kInt64MaxAsDouble, kInt64MinAsDouble,
                     std::numeric_limits<double>::infinity()}) {
    absl::StatusOr<wire::JobSpec> spec = WithTimeout(bad);
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_THAT(spec.status().message(), HasSubstr("--timeout ")) << bad;
    EXPECT_THAT(spec.status().message(), HasSubstr("31536000")) << bad;
  }
}

TEST(CliTimeLimitsTest, BackoffTakesOneMsToTenYears) {
  EXPECT_EQ(WithBackoff("1ms")->backoff_ms(), 1);
  EXPECT_EQ(WithBackoff("3650d")->backoff_ms(), kDurationMsMax);
  EXPECT_EQ(WithBackoff("315360000000ms")->backoff_ms(), kDurationMsMax);
  for (const char* bad : {"0", "315360000001ms", "-1ms", "9223372036854775807ms",
                          "-9223372036854775808ms", "9223372036854775807"}) {
    absl::StatusOr<wire::JobSpec> spec = WithBackoff(bad);
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_THAT(spec.status().message(), HasSubstr("--backoff ")) << bad;
  }
}

absl::StatusOr<std::optional<wire::JobSpec>> Line(const std::string& field,
                                                  const std::string& value) {
  return ParseJobLine("{\"task\": \"noop\", \"" + field + "\": " + value + "}");
}

TEST(CliTimeLimitsTest, JsonLinesTimeoutAndBackoffHaveTheSameBounds) {
  EXPECT_EQ((*Line("timeout", "0"))->timeout_ms(), 0);
  EXPECT_EQ((*Line("timeout", "0.001"))->timeout_ms(), 1);
  EXPECT_EQ((*Line("timeout", "31536000"))->timeout_ms(), kJobTimeoutMsMax);
  for (const char* bad :
       {"31536000.001", "-1", "9223372036854775807", "-9223372036854775808", "1e300"}) {
    absl::StatusOr<std::optional<wire::JobSpec>> line = Line("timeout", bad);
    ASSERT_FALSE(line.ok()) << bad;
    EXPECT_THAT(line.status().message(), HasSubstr("\"timeout\"")) << bad;
  }
  EXPECT_EQ((*Line("backoff", "\"1ms\""))->backoff_ms(), 1);
  EXPECT_EQ((*Line("backoff", "\"3650d\""))->backoff_ms(), kDurationMsMax);
  for (const char* bad : {"\"315360000001ms\"", "0", "-1", "9223372036854775807",
                          "-9223372036854775808", "\"-9223372036854775808ms\""}) {
    absl::StatusOr<std::optional<wire::JobSpec>> line = Line("backoff", bad);
    ASSERT_FALSE(line.ok()) << bad;
    EXPECT_THAT(line.status().message(), HasSubstr("\"backoff\"")) << bad;
  }
}

TEST(CliTimeLimitsTest, ConnectTimeoutIsAboveZeroAndAtMostADay) {
  GlobalFlags global;
  for (double ok : {0.001, 5.0, 86'400.0}) {
    global.connect_timeout_seconds = ok;
    EXPECT_TRUE(MakeClientOptions(global, "").ok()) << ok;
  }
  for (double bad : {0.0, -1.0, 86'400.001, kInt64MaxAsDouble, kInt64MinAsDouble}) {
    global.connect_timeout_seconds = bad;
    absl::StatusOr<ClientOptions> options = MakeClientOptions(global, "");
    ASSERT_FALSE(options.ok()) << bad;
    EXPECT_THAT(options.status().message(), HasSubstr("--connect-timeout")) << bad;
  }
}

TEST(CliArgTextTest, AnArgValueThatIsNotUtf8IsRefusedNamingTheFlagAndKey) {
  SubmitFlags flags;
  flags.task = "echo";
  flags.args = {"ok=fine", "name=caf\xe9"};
  absl::StatusOr<wire::JobSpec> spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("--arg 'name=...'"));
  EXPECT_THAT(spec.status().message(), HasSubstr("not UTF-8"));

  flags.args = {"name=caf\xc3\xa9"};  // "café" in UTF-8
  spec = JobSpecFromFlags(flags);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->payload(), "{\"name\":\"caf\xc3\xa9\"}");
}

// `jobq ARGS...`: its exit code and what it wrote to stderr.
std::pair<int, std::string> Jobq(std::vector<std::string> args) {
  args.insert(args.begin(), "jobq");
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  ::testing::internal::CaptureStderr();
  const int exit_code = RunCli(static_cast<int>(argv.size()), argv.data());
  return {exit_code, ::testing::internal::GetCapturedStderr()};
}

TEST(CliFlagValuesTest, AnEmptyValueIsAUsageErrorNamingTheFlag) {
  const std::vector<std::vector<std::string>> runs = {
      {"submit", "noop", "--priority", ""},
      {"submit", "noop", "--timeout", ""},
      {"submit", "noop", "--backoff", ""},
      {"submit", "noop", "--retries", ""},
      {"submit", "noop", "--queue", ""},
      {"submit", "noop", "--key", ""},
      {"submit", "noop", "--arg", ""},
      {"submit", "noop", "--kind", ""},
      {"submit", "--file", ""},
      {"--connect-timeout", "", "status"},
      {"jobs", "--limit", ""},
      {"top", "--interval", ""},
  };
  for (const std::vector<std::string>& run : runs) {
    const auto [exit_code, err] = Jobq(run);
    std::string flag;
    for (const std::string& arg : run) {
      if (arg.starts_with("--")) {
        flag = arg.substr(0, arg.find('='));
      }
    }
    EXPECT_EQ(exit_code, kExitUsage) << flag;
    EXPECT_THAT(err, HasSubstr(flag + ": needs a value")) << err;
  }
}

}  // namespace
}  // namespace jobq::cli
