#include "producer/cli/output_lines.h"

#include <gtest/gtest.h>

namespace jobq::cli {
namespace {

constexpr char kIdText[] = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";

Outcome MakeOutcome(wire::JobState state) {
  Outcome outcome;
  outcome.id = *JobId::Parse(kIdText);
  outcome.state = state;
  outcome.attempts = 1;
  return outcome;
}

TEST(FormatAckLineTest, IdOnly) {
  EXPECT_EQ(FormatAckLine(*JobId::Parse(kIdText)),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"})");
}

TEST(FormatAckLineTest, DuplicateSaysSo) {
  EXPECT_EQ(FormatAckLine(*JobId::Parse(kIdText), /*duplicate=*/true),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","duplicate":true})");
  EXPECT_EQ(FormatAckLine(*JobId::Parse(kIdText), /*duplicate=*/false),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"})");
}

TEST(FormatDuplicateNoteTest, NamesTheJobAlreadySubmitted) {
  EXPECT_EQ(FormatDuplicateNote(*JobId::Parse(kIdText)),
            "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f (already submitted with this key)");
}

TEST(FormatRejectionLineTest, ErrorWithOptionalLine) {
  wire::ErrorInfo error;
  error.set_type("queue_full");
  error.set_message("queue default is full");
  EXPECT_EQ(FormatRejectionLine(error, std::nullopt),
            R"({"error":{"type":"queue_full","message":"queue default is full"}})");
  EXPECT_EQ(FormatRejectionLine(error, 7),
            R"({"line":7,"error":{"type":"queue_full","message":"queue default is full"}})");
}

TEST(FormatOutcomeLineTest, SucceededCarriesTheResultAsJson) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_SUCCEEDED);
  outcome.result = R"({"sum": 285, "items": [1, 2]})";
  outcome.content_type = "application/json";
  EXPECT_EQ(FormatOutcomeLine(outcome),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"succeeded","attempts":1,)"
            R"("result":{"sum":285,"items":[1,2]}})");
}

TEST(FormatOutcomeLineTest, FailedCarriesTheError) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_FAILED);
  outcome.attempts = 2;
  outcome.error.set_type("timeout");
  outcome.error.set_message("ran longer than 1 s");
  EXPECT_EQ(FormatOutcomeLine(outcome),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"failed","attempts":2,)"
            R"("error":{"type":"timeout","message":"ran longer than 1 s"}})");
}

TEST(FormatOutcomeLineTest, DetailOnlyWhenPresent) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_DEAD);
  outcome.error.set_type("exit_status");
  outcome.error.set_message("exit code 3");
  outcome.error.set_detail("stderr: boom");
  EXPECT_EQ(FormatOutcomeLine(outcome),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"dead","attempts":1,)"
            R"("error":{"type":"exit_status","message":"exit code 3","detail":"stderr: boom"}})");
}

TEST(FormatOutcomeLineTest, CancelledAndUnknown) {
  Outcome cancelled = MakeOutcome(wire::JOB_STATE_CANCELLED);
  cancelled.error.set_type("cancelled");
  EXPECT_NE(FormatOutcomeLine(cancelled).find(R"("state":"cancelled")"), std::string::npos);

  Outcome unknown = MakeOutcome(wire::JOB_STATE_UNSPECIFIED);
  unknown.attempts = 0;
  unknown.error.set_type("unknown_job");
  unknown.error.set_message("no such job");
  EXPECT_EQ(FormatOutcomeLine(unknown),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"unknown","attempts":0,)"
            R"("error":{"type":"unknown_job","message":"no such job"}})");
}

TEST(ResultToJsonTest, EmptyContentTypeMeansJson) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_SUCCEEDED);
  outcome.result = "[1,2]";
  EXPECT_EQ(ResultToJson(outcome).dump(), "[1,2]");
}

TEST(ResultToJsonTest, JsonWithParametersIsJson) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_SUCCEEDED);
  outcome.result = "42";
  outcome.content_type = "Application/JSON; charset=utf-8";
  EXPECT_EQ(ResultToJson(outcome).dump(), "42");
}

TEST(ResultToJsonTest, OtherContentIsAString) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_SUCCEEDED);
  outcome.result = "[1,2]";
  outcome.content_type = "text/plain";
  EXPECT_EQ(ResultToJson(outcome).dump(), R"("[1,2]")");
}

TEST(ResultToJsonTest, InvalidJsonBecomesAString) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_SUCCEEDED);
  outcome.result = "{oops";
  EXPECT_EQ(ResultToJson(outcome).dump(), R"("{oops")");
}

TEST(ResultToJsonTest, EmptyIsNull) {
  EXPECT_TRUE(ResultToJson(MakeOutcome(wire::JOB_STATE_SUCCEEDED)).is_null());
}

TEST(FormatOutcomeLineTest, InvalidUtf8IsReplacedNotFatal) {
  Outcome outcome = MakeOutcome(wire::JOB_STATE_SUCCEEDED);
  outcome.result = "\xff\xfe";
  outcome.content_type = "application/octet-stream";
  std::string line = FormatOutcomeLine(outcome);
  EXPECT_NE(line.find(R"("result":")"), std::string::npos) << line;
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

}  // namespace
}  // namespace jobq::cli
