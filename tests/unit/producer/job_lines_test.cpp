#include "producer/cli/job_lines.h"

#include <gtest/gtest.h>

#include <sstream>

namespace jobq::cli {
namespace {

wire::JobSpec ParseOk(std::string_view line) {
  auto job = ParseJobLine(line);
  EXPECT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(job.ok() && job->has_value()) << "blank: " << line;
  return job.ok() && job->has_value() ? **job : wire::JobSpec();
}

std::string ErrorOf(std::string_view line) {
  auto job = ParseJobLine(line);
  EXPECT_FALSE(job.ok()) << line;
  if (job.ok()) {
    return "";
  }
  EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(job.status().message());
}

TEST(ParseJobLineTest, FullExampleSetsEveryField) {
  wire::JobSpec job =
      ParseOk(R"({"task": "sleep", "args": {"seconds": 1}, "queue": "default", "kind": "io",)"
              R"( "priority": 3, "timeout": 30, "retries": 3, "key": "order-17"})");
  EXPECT_EQ(job.task(), "sleep");
  EXPECT_EQ(job.payload(), R"({"seconds":1})");
  EXPECT_EQ(job.content_type(), "application/json");
  EXPECT_EQ(job.queue(), "default");
  EXPECT_EQ(job.kind(), wire::KIND_IO);
  EXPECT_EQ(job.priority(), 3);
  EXPECT_EQ(job.timeout_ms(), 30000);
  EXPECT_EQ(job.max_attempts(), 4u);
  EXPECT_EQ(job.idempotency_key(), "order-17");
}

TEST(ParseJobLineTest, OnlyTaskIsRequired) {
  wire::JobSpec job = ParseOk(R"({"task": "noop"})");
  EXPECT_EQ(job.task(), "noop");
  EXPECT_EQ(job.payload(), "{}");
  EXPECT_EQ(job.queue(), "");
  EXPECT_EQ(job.kind(), wire::KIND_UNSPECIFIED);
  EXPECT_EQ(job.max_attempts(), 0u) << "no retries field: the broker's default";
}

TEST(ParseJobLineTest, FractionalTimeoutAndNegativePriority) {
  wire::JobSpec job = ParseOk(R"({"task": "x", "timeout": 0.25, "priority": -2})");
  EXPECT_EQ(job.timeout_ms(), 250);
  EXPECT_EQ(job.priority(), -2);
}

TEST(ParseJobLineTest, BackoffIsSecondsOrADuration) {
  EXPECT_EQ(ParseOk(R"({"task": "x", "backoff": 2})").backoff_ms(), 2000);
  EXPECT_EQ(ParseOk(R"({"task": "x", "backoff": "250ms"})").backoff_ms(), 250);
  EXPECT_EQ(ParseOk(R"({"task": "x"})").backoff_ms(), 0) << "none: the queue's default";
}

TEST(ParseJobLineTest, BlankLinesAreSkipped) {
  for (std::string_view line : {"", "   ", "\t \t"}) {
    auto job = ParseJobLine(line);
    ASSERT_TRUE(job.ok());
    EXPECT_FALSE(job->has_value());
  }
}

TEST(ParseJobLineTest, ReportsWhatIsWrong) {
  struct Case {
    const char* line;
    const char* error;
  };
  const Case cases[] = {
      {R"({"task": "x")", "invalid JSON: parse error at column 13"},
      {"not json", "invalid JSON"},
      // out_of_range, not parse_error: found by tests/fuzz/fuzz_job_lines.
      {R"({"task": "noop", "timeout": 1e999})", "invalid JSON: number overflow"},
      {"[1, 2]", "expected a JSON object such as {\"task\": \"noop\"}, got a JSON array"},
      {R"("sleep")", "got \"sleep\""},
      {R"({"args": {}})", "missing required field \"task\""},
      {R"({"task": 5})", "field \"task\" must be a string, got 5"},
      {R"({"task": ""})", "field \"task\" must not be empty"},
      {R"({"task": "x", "args": [1]})", "field \"args\" must be a JSON object, got a JSON array"},
      {R"({"task": "x", "queue": null})", "field \"queue\" must be a string, got null"},
      {R"({"task": "x", "kind": "gpu"})", "field \"kind\" must be \"io\" or \"cpu\", got \"gpu\""},
      {R"({"task": "x", "kind": 1})", "field \"kind\" must be \"io\" or \"cpu\", got 1"},
      {R"({"task": "x", "priority": 1.5})", "field \"priority\" must be an integer, got 1.5"},
      {R"({"task": "x", "priority": 3000000000})", "field \"priority\" must be from"},
      {R"({"task": "x", "priority": 18446744073709551615})", "field \"priority\" must be from"},
      {R"({"task": "x", "timeout": "30s"})",
       "field \"timeout\" must be a number of seconds, got \"30s\""},
      {R"({"task": "x", "timeout": -1})", "field \"timeout\" must be a number of seconds from 0"},
      {R"({"task": "x", "retries": -1})", "field \"retries\" must be a whole number from 0"},
      {R"({"task": "x", "retries": 1.5})", "field \"retries\" must be a whole number, got 1.5"},
      {R"({"task": "x", "key": 17})", "field \"key\" must be a string, got 17"},
      {R"({"task": "x", "backoff": "soon"})", "field \"backoff\""},
      {R"({"task": "x", "backoff": 0})", "field \"backoff\""},
      {R"({"task": "x", "backoff": [1]})", "field \"backoff\" must be seconds or a duration"},
      {R"({"task": "x", "prio": 1})", "unknown field \"prio\"; known fields: task, args,"},
  };
  for (const Case& c : cases) {
    std::string error = ErrorOf(c.line);
    EXPECT_NE(error.find(c.error), std::string::npos)
        << "line: " << c.line << "\n got: " << error << "\nwant: " << c.error;
  }
}

TEST(ParseJobLineTest, UnknownFieldIsReportedBeforeMissingTask) {
  // A misspelt "task" should be named as such, not as a missing one.
  EXPECT_NE(ErrorOf(R"({"tsak": "x"})").find("unknown field \"tsak\""), std::string::npos);
}

TEST(JobLineReaderTest, CountsLinesIncludingBlankOnes) {
  std::istringstream in("{\"task\": \"a\"}\n\n   \n{\"task\": \"b\"}\n");
  JobLineReader reader(in);
  auto first = reader.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->task(), "a");
  EXPECT_EQ(reader.line_number(), 1u);
  auto second = reader.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->task(), "b");
  EXPECT_EQ(reader.line_number(), 4u);
  auto end = reader.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(JobLineReaderTest, AcceptsCrLfAndAMissingFinalNewline) {
  std::istringstream in("{\"task\": \"a\"}\r\n{\"task\": \"b\"}");
  JobLineReader reader(in);
  EXPECT_EQ((*reader.Next())->task(), "a");
  EXPECT_EQ((*reader.Next())->task(), "b");
  EXPECT_FALSE(reader.Next()->has_value());
}

TEST(JobLineReaderTest, ErrorNamesTheLine) {
  std::istringstream in("{\"task\": \"a\"}\n\n{\"task\": 5}\n{\"task\": \"c\"}\n");
  JobLineReader reader(in);
  ASSERT_TRUE(reader.Next().ok());
  auto bad = reader.Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "line 3: field \"task\" must be a string, got 5");
  // The reader can go on after a bad line (CheckJobLines relies on it).
  auto next = reader.Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(reader.line_number(), 4u);
}

TEST(CheckJobLinesTest, CountsJobsOfAValidFile) {
  std::istringstream in("{\"task\": \"a\"}\n\n{\"task\": \"b\"}\n");
  JobLinesCheck check = CheckJobLines(in, 10);
  EXPECT_EQ(check.jobs, 2u);
  EXPECT_EQ(check.invalid_lines, 0u);
  EXPECT_TRUE(check.errors.empty());
}

TEST(CheckJobLinesTest, ReportsEveryBadLineUpToTheLimit) {
  std::istringstream in(
      "{\"task\": \"a\"}\n{}\nnope\n{\"task\": \"b\"}\n{\"task\": \"c\", \"x\": 1}\n");
  JobLinesCheck check = CheckJobLines(in, 2);
  EXPECT_EQ(check.jobs, 2u);
  EXPECT_EQ(check.invalid_lines, 3u);
  ASSERT_EQ(check.errors.size(), 2u);
  EXPECT_EQ(check.errors[0], "line 2: missing required field \"task\"");
  EXPECT_EQ(check.errors[1].rfind("line 3: invalid JSON", 0), 0u) << check.errors[1];
}

}  // namespace
}  // namespace jobq::cli
