// Delayed jobs in the CLI: `jobq submit --delay/--at` and the "delay" and
// "at" fields of JSON Lines become JobSpec.not_before_ms, from a fixed
// clock; bad values are usage errors naming the value and the expected
// form, and a file with one bad line sends nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/time_limits.h"
#include "producer/cli/cli.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/job_fields.h"
#include "producer/cli/job_lines.h"
#include "producer/cli/submit_command.h"

namespace jobq::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr TimeMs kNowMs = 1'798'000'000'000;           // 2026-12-23T04:26:40Z
constexpr TimeMs kChristmasEveMs = 1'798'135'200'000;  // 2026-12-24T18:00:00Z

TEST(AtToNotBeforeMsTest, AnyOffsetNamesTheSameInstant) {
  for (const char* at :
       {"2026-12-24T18:00:00Z", "2026-12-24T19:00:00+01:00", "2026-12-24T13:00:00-05:00",
        "2026-12-24t18:00:00z", "2026-12-24T18:00:00.000+00:00"}) {
    absl::StatusOr<int64_t> ms = AtToNotBeforeMs(at, kNowMs);
    ASSERT_TRUE(ms.ok()) << at << ": " << ms.status();
    EXPECT_EQ(*ms, kChristmasEveMs) << at;
  }
}

TEST(AtToNotBeforeMsTest, FractionsRoundUpSoTheJobNeverRunsEarly) {
  EXPECT_EQ(AtToNotBeforeMs("2026-12-24T18:00:00.25Z", kNowMs).value(), kChristmasEveMs + 250);
  EXPECT_EQ(AtToNotBeforeMs("2026-12-24T18:00:00.0001Z", kNowMs).value(), kChristmasEveMs + 1);
}

TEST(AtToNotBeforeMsTest, APastTimeIsKeptForTheBrokerToRunNow) {
  EXPECT_EQ(AtToNotBeforeMs("2001-01-01T00:00:00Z", kNowMs).value(), 978'307'200'000);
  EXPECT_EQ(AtToNotBeforeMs("1969-07-20T20:17:00Z", kNowMs).value(), 0)
      << "the wire has no negative times; 0 means now";
}

TEST(AtToNotBeforeMsTest, BadTimesNameTheValueAndTheForm) {
  for (const char* at : {"tomorrow", "", "2026-12-24", "2026-12-24T18:00:00",
                         "2026-12-24 18:00:00Z", "2026-13-01T00:00:00Z", "2026-12-24T18:00Z",
                         "infinite-future", "infinite-past", "1798135200000"}) {
    absl::StatusOr<int64_t> ms = AtToNotBeforeMs(at, kNowMs);
    ASSERT_FALSE(ms.ok()) << at;
    EXPECT_EQ(ms.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(ms.status().message()),
                StartsWith("must be an RFC 3339 time with a UTC offset"));
    EXPECT_THAT(std::string(ms.status().message()), HasSubstr("2026-12-24T18:00:00Z"));
    EXPECT_THAT(std::string(ms.status().message()), HasSubstr(std::string("got \"") + at + "\""));
  }
}

TEST(AtToNotBeforeMsTest, AtMostTenYearsAhead) {
  EXPECT_EQ(AtToNotBeforeMs("2036-12-20T04:26:40Z", kNowMs).value(), kNowMs + kDurationMsMax);
  absl::StatusOr<int64_t> far = AtToNotBeforeMs("2036-12-20T04:26:40.001Z", kNowMs);
  ASSERT_FALSE(far.ok());
  EXPECT_THAT(std::string(far.status().message()), HasSubstr("at most 10 years"));
  EXPECT_THAT(std::string(far.status().message()), HasSubstr("2036-12-20T04:26:40.001Z"));
}

TEST(AtToNotBeforeMsTest, AHugeValueIsShortenedInTheError) {
  const std::string huge(100'000, '9');
  absl::StatusOr<int64_t> ms = AtToNotBeforeMs(huge, kNowMs);
  ASSERT_FALSE(ms.ok());
  EXPECT_LT(ms.status().message().size(), 300u);
}

TEST(DelayToNotBeforeMsTest, CountsFromNow) {
  EXPECT_EQ(DelayToNotBeforeMs("30s", kNowMs).value(), kNowMs + 30'000);
  EXPECT_EQ(DelayToNotBeforeMs("1.5", kNowMs).value(), kNowMs + 1500);
  EXPECT_EQ(DelayToNotBeforeMs("2h", kNowMs).value(), kNowMs + 7'200'000);
  EXPECT_EQ(DelayToNotBeforeMs("0", kNowMs).value(), kNowMs);
  EXPECT_EQ(DelayToNotBeforeMs("3650d", kNowMs).value(), kNowMs + kDurationMsMax);
  for (const char* bad : {"soon", "-1s", "3651d", ""}) {
    EXPECT_FALSE(DelayToNotBeforeMs(bad, kNowMs).ok()) << bad;
  }
}

absl::StatusOr<wire::JobSpec> WithDelayAndAt(const std::string& delay, const std::string& at) {
  SubmitFlags flags;
  flags.task = "noop";
  flags.delay = delay;
  flags.at = at;
  return JobSpecFromFlags(flags, kNowMs);
}

std::string FlagsError(const std::string& delay, const std::string& at) {
  absl::StatusOr<wire::JobSpec> spec = WithDelayAndAt(delay, at);
  EXPECT_FALSE(spec.ok());
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(JobSpecFromFlagsTest, DelayAndAtSetNotBefore) {
  EXPECT_EQ(WithDelayAndAt("", "")->not_before_ms(), 0) << "no delay: now";
  EXPECT_EQ(WithDelayAndAt("30s", "")->not_before_ms(), kNowMs + 30'000);
  EXPECT_EQ(WithDelayAndAt("", "2026-12-24T19:00:00+01:00")->not_before_ms(), kChristmasEveMs);
}

TEST(JobSpecFromFlagsTest, DelayAndAtErrorsNameTheFlag) {
  EXPECT_THAT(FlagsError("soon", ""), StartsWith("--delay \"soon\" is not a duration"));
  EXPECT_THAT(FlagsError("", "tomorrow"),
              StartsWith("--at must be an RFC 3339 time with a UTC offset, such as "
                         "2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00, got \"tomorrow\""));
  EXPECT_EQ(FlagsError("1s", "2026-12-24T18:00:00Z"), "give either --delay or --at, not both");
}

// `jobq ARGS...` against a port nothing listens on: its exit code and stderr.
std::pair<int, std::string> RunJobqOffline(std::vector<std::string> args) {
  args.insert(args.begin(), "jobq");
  args.insert(args.end(), {"--broker", "tcp://127.0.0.1:1", "--connect-timeout", "0.2"});
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  ::testing::internal::CaptureStderr();
  const int exit_code = RunCli(static_cast<int>(argv.size()), argv.data());
  return {exit_code, ::testing::internal::GetCapturedStderr()};
}

TEST(SubmitDelayCommandTest, BadValuesAreUsageErrorsBeforeAnythingIsSent) {
  auto [code, err] = RunJobqOffline({"submit", "noop", "--at", "tomorrow"});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("--at must be an RFC 3339 time"));
  EXPECT_THAT(err, HasSubstr("\"tomorrow\""));
  EXPECT_THAT(err, Not(HasSubstr("reach"))) << "refused before connecting";

  std::tie(code, err) = RunJobqOffline({"submit", "noop", "--delay", "soon"});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("--delay \"soon\" is not a duration"));

  std::tie(code, err) =
      RunJobqOffline({"submit", "noop", "--delay", "1s", "--at", "2026-12-24T18:00:00Z"});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("excludes"));
}

TEST(SubmitDelayCommandTest, FileWithDelayAndAtOnOneLineSendsNothing) {
  const std::string path = ::testing::TempDir() + "/delay_test_jobs.jsonl";
  std::ofstream(path) << "{\"task\": \"a\", \"delay\": \"5s\"}\n"
                      << "{\"task\": \"b\", \"delay\": \"5s\", \"at\": \"2026-12-24T18:00:00Z\"}\n"
                      << "{\"task\": \"c\", \"at\": \"Christmas\"}\n";
  auto [code, err] = RunJobqOffline({"submit", "--file", path});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("line 2: give either \"delay\" (from now) or \"at\" (a time), "
                             "not both"));
  EXPECT_THAT(err, HasSubstr("line 3: field \"at\" must be an RFC 3339 time"));
  EXPECT_THAT(err, HasSubstr("nothing was submitted"));

  std::tie(code, err) = RunJobqOffline({"submit", "--file", path, "--delay", "1s"});
  EXPECT_EQ(code, kExitUsage) << "--delay is per job: not with --file";
}

absl::StatusOr<std::optional<wire::JobSpec>> DelayLine(const std::string& fields) {
  return ParseJobLine("{\"task\": \"noop\", " + fields + "}", kNowMs);
}

TEST(ParseJobLineDelayTest, DelayIsADurationOrSecondsAndAtAnRfc3339Time) {
  EXPECT_EQ((*DelayLine(R"("delay": "30s")"))->not_before_ms(), kNowMs + 30'000);
  EXPECT_EQ((*DelayLine(R"("delay": 1.5)"))->not_before_ms(), kNowMs + 1500);
  EXPECT_EQ((*DelayLine(R"("delay": 0)"))->not_before_ms(), kNowMs);
  EXPECT_EQ((*DelayLine(R"("at": "2026-12-24T13:00:00-05:00")"))->not_before_ms(), kChristmasEveMs);
  EXPECT_EQ((*ParseJobLine(R"({"task": "noop"})", kNowMs))->not_before_ms(), 0);
}

TEST(ParseJobLineDelayTest, ReportsWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("delay": "1s", "at": "2026-12-24T18:00:00Z")",
       "give either \"delay\" (from now) or \"at\" (a time), not both"},
      {R"("delay": "soon")", "field \"delay\" \"soon\" is not a duration"},
      {R"("delay": -1)", "field \"delay\" duration \"-1\" is negative"},
      {R"("delay": "3651d")", "field \"delay\" duration \"3651d\" is longer than 10 years"},
      {R"("delay": [1])", "field \"delay\" must be seconds or a duration"},
      {R"("at": 1798135200)",
       "field \"at\" must be an RFC 3339 time such as "
       "\"2026-12-24T18:00:00Z\", got 1798135200"},
      {R"("at": "Christmas")", "field \"at\" must be an RFC 3339 time with a UTC offset"},
      {R"("at": "2026-12-24T18:00:00")", "got \"2026-12-24T18:00:00\""},
      {R"("at": "2099-01-01T00:00:00Z")", "field \"at\" must be at most 10 years"},
  };
  for (const auto& [fields, error] : cases) {
    absl::StatusOr<std::optional<wire::JobSpec>> job = DelayLine(fields);
    ASSERT_FALSE(job.ok()) << fields;
    EXPECT_THAT(std::string(job.status().message()), HasSubstr(error)) << fields;
  }
}

TEST(JobLineReaderDelayTest, EachDelayCountsFromWhenItsLineIsRead) {
  std::istringstream in("{\"task\": \"a\", \"delay\": \"1s\"}\n{\"task\": \"b\", \"delay\": 1}\n");
  FakeClock clock(kNowMs);
  JobLineReader reader(in, clock);
  EXPECT_EQ((*reader.Next())->not_before_ms(), kNowMs + 1000);
  clock.AdvanceMs(5000);  // a large file: the second line is sent later
  EXPECT_EQ((*reader.Next())->not_before_ms(), kNowMs + 6000);
}

TEST(CheckJobLinesDelayTest, BothOnALineIsReportedWithItsNumber) {
  std::istringstream in(
      "{\"task\": \"a\", \"at\": \"2026-12-24T18:00:00Z\"}\n"
      "\n"
      "{\"task\": \"b\", \"at\": \"2026-12-24T18:00:00Z\", \"delay\": \"1m\"}\n");
  JobLinesCheck check = CheckJobLines(in, 10);
  EXPECT_EQ(check.jobs, 1u);
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_EQ(check.errors[0],
            "line 3: give either \"delay\" (from now) or \"at\" (a time), not both");
}

}  // namespace
}  // namespace jobq::cli
