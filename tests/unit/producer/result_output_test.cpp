#include "producer/cli/result_output.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/job_id.h"
#include "producer/cli/exit_code.h"
#include "tests/unit/producer/sample_job_id.h"

namespace jobq::cli {
namespace {

admin::JobInfo Job(wire::JobState state) {
  admin::JobInfo job;
  job.set_id(std::string(JobId::Parse(kSampleJobId)->Bytes()));
  job.set_state(state);
  job.set_attempts(1);
  return job;
}

admin::JobInfo Succeeded(const std::string& result, const std::string& content_type) {
  admin::JobInfo job = Job(wire::JOB_STATE_SUCCEEDED);
  job.set_result(result);
  job.set_content_type(content_type);
  return job;
}

TEST(ClassifyContentTypeTest, JsonTextOrBinary) {
  EXPECT_EQ(ClassifyContentType(""), PayloadKind::kJson);
  EXPECT_EQ(ClassifyContentType("application/json"), PayloadKind::kJson);
  EXPECT_EQ(ClassifyContentType(" Application/JSON; charset=utf-8"), PayloadKind::kJson);
  EXPECT_EQ(ClassifyContentType("text/plain"), PayloadKind::kText);
  EXPECT_EQ(ClassifyContentType("application/problem+json"), PayloadKind::kText);
  EXPECT_EQ(ClassifyContentType("image/svg+xml"), PayloadKind::kText);
  EXPECT_EQ(ClassifyContentType("application/octet-stream"), PayloadKind::kBinary);
  EXPECT_EQ(ClassifyContentType("image/png"), PayloadKind::kBinary);
}

TEST(RenderResultTest, JsonResultIsPrintedAsItIs) {
  ResultReport report = RenderResult(Succeeded(R"({"sum": "14"})", "application/json"), false);
  EXPECT_EQ(report.exit_code, kExitOk);
  EXPECT_EQ(report.out, "{\"sum\": \"14\"}\n");
  EXPECT_EQ(report.err, "");
}

TEST(RenderResultTest, EmptyJsonResultIsNull) {
  EXPECT_EQ(RenderResult(Succeeded("", ""), false).out, "null\n");
}

TEST(RenderResultTest, TextKeepsItsOwnFinalNewline) {
  EXPECT_EQ(RenderResult(Succeeded("line one\nline two\n", "text/plain"), false).out,
            "line one\nline two\n");
  EXPECT_EQ(RenderResult(Succeeded("", "text/plain"), false).out, "");
}

TEST(RenderResultTest, BinaryResultIsDescribedNotDumped) {
  ResultReport report = RenderResult(Succeeded(std::string(1536, '\0'), "image/png"), false);
  EXPECT_EQ(report.exit_code, kExitOk);
  EXPECT_NE(report.out.find("binary"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("1.5 KiB"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("image/png"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("--json"), std::string::npos) << report.out;
}

TEST(RenderResultTest, JsonLineIsTheOneJobqWaitPrints) {
  ResultReport report = RenderResult(Succeeded(R"({"n":5})", "application/json"), true);
  EXPECT_EQ(report.exit_code, kExitOk);
  EXPECT_EQ(report.out,
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"succeeded","attempts":1,)"
            R"("result":{"n":5}})"
            "\n");
}

TEST(RenderResultTest, BinaryJsonLineCarriesBase64) {
  ResultReport report = RenderResult(Succeeded(std::string("\x00\xff\x10", 3), "image/png"), true);
  nlohmann::json line = nlohmann::json::parse(report.out);
  EXPECT_EQ(line["state"], "succeeded");
  EXPECT_EQ(line["content_type"], "image/png");
  EXPECT_EQ(line["result_base64"], "AP8Q");
  EXPECT_FALSE(line.contains("result"));
}

TEST(RenderResultTest, DeadJobShowsItsErrorAndHowToRetryIt) {
  admin::JobInfo job = Job(wire::JOB_STATE_DEAD);
  job.set_attempts(3);
  job.mutable_error()->set_type("std::runtime_error");
  job.mutable_error()->set_message("disk on fire");
  ResultReport report = RenderResult(job, false);
  EXPECT_EQ(report.exit_code, kExitJobsFailed);
  EXPECT_EQ(report.out, "");
  EXPECT_EQ(report.err, std::string("job ") + kSampleJobId +
                            " is dead after 3 attempts: std::runtime_error: disk on fire\n"
                            "`jobq retry " +
                            kSampleJobId + "` runs it again");
}

TEST(RenderResultTest, FailedJobWithDetailAndOneAttempt) {
  admin::JobInfo job = Job(wire::JOB_STATE_FAILED);
  job.mutable_error()->set_type("bad_args");
  job.mutable_error()->set_message("seconds must be a number");
  job.mutable_error()->set_detail("Traceback ...");
  ResultReport report = RenderResult(job, false);
  EXPECT_EQ(report.exit_code, kExitJobsFailed);
  EXPECT_NE(report.err.find("failed after 1 attempt: bad_args: seconds must be a number\n"
                            "Traceback ..."),
            std::string::npos)
      << report.err;
}

TEST(RenderResultTest, FailedJsonLineIsTheOneJobqWaitPrints) {
  admin::JobInfo job = Job(wire::JOB_STATE_FAILED);
  job.mutable_error()->set_type("timeout");
  job.mutable_error()->set_message("took 30s");
  ResultReport report = RenderResult(job, true);
  EXPECT_EQ(report.exit_code, kExitJobsFailed);
  EXPECT_EQ(report.err, "");
  EXPECT_EQ(report.out,
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"failed","attempts":1,)"
            R"("error":{"type":"timeout","message":"took 30s"}})"
            "\n");
}

TEST(RenderResultTest, UnfinishedJobSaysHowToWaitForIt) {
  ResultReport report = RenderResult(Job(wire::JOB_STATE_RUNNING), false);
  EXPECT_EQ(report.exit_code, kExitJobsFailed);
  EXPECT_EQ(report.out, "");
  EXPECT_EQ(report.err, std::string("job ") + kSampleJobId + " is still running; `jobq wait " +
                            kSampleJobId + "` waits for it");

  ResultReport json = RenderResult(Job(wire::JOB_STATE_QUEUED), true);
  EXPECT_EQ(json.exit_code, kExitJobsFailed);
  EXPECT_EQ(json.out,
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f","state":"queued","attempts":1})"
            "\n");
}

}  // namespace
}  // namespace jobq::cli
