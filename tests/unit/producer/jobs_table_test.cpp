#include "producer/cli/jobs_table.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/job_id.h"
#include "tests/unit/producer/sample_job_id.h"

namespace jobq::cli {
namespace {

constexpr int64_t kNowMs = 1'700'000'000'000;

admin::JobInfo DeadJob() {
  admin::JobInfo job;
  job.set_id(std::string(JobId::Parse(kSampleJobId)->Bytes()));
  job.set_queue("default");
  job.set_task("fail");
  job.set_state(wire::JOB_STATE_DEAD);
  job.set_attempts(3);
  job.set_failures(3);
  job.set_max_attempts(3);
  job.set_submitted_ms(kNowMs - 60'000);
  job.set_started_ms(kNowMs - 10'000);
  job.set_finished_ms(kNowMs - 5'000);
  job.set_expires_ms(kNowMs + 1'000'000);
  job.mutable_error()->set_type("std::runtime_error");
  job.mutable_error()->set_message("disk\non fire");
  return job;
}

admin::JobInfo QueuedJob() {
  admin::JobInfo job;
  job.set_id(std::string(JobId::Parse("0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8ea0")->Bytes()));
  job.set_queue("emails");
  job.set_task("send");
  job.set_state(wire::JOB_STATE_QUEUED);
  job.set_submitted_ms(kNowMs - 12'000);
  return job;
}

TEST(FormatJobsTableTest, OneRowPerJobUnderAHeader) {
  const std::string text = FormatJobsTable({DeadJob(), QueuedJob()}, kNowMs);
  EXPECT_EQ(
      text,
      "ID                                    QUEUE    TASK  STATE   ATTEMPTS  WHEN               "
      "ERROR\n"
      "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f  default  fail  dead    3         finished 5s ago    "
      "std::runtime_error: disk on fire\n"
      "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8ea0  emails   send  queued  0         submitted 12s ago  "
      "-\n");
}

TEST(FormatJobsTableTest, RunningJobsShowWhenTheyStarted) {
  admin::JobInfo job = QueuedJob();
  job.set_state(wire::JOB_STATE_RUNNING);
  job.set_attempts(1);
  job.set_started_ms(kNowMs - 303'000);
  EXPECT_NE(FormatJobsTable({job}, kNowMs).find("started 5m 03s ago"), std::string::npos);
}

TEST(FormatJobsTableTest, LongErrorsAreShortened) {
  admin::JobInfo job = DeadJob();
  job.mutable_error()->set_message(std::string(500, 'x'));
  const std::string text = FormatJobsTable({job}, kNowMs);
  const std::string row = text.substr(text.find('\n') + 1);
  EXPECT_LT(row.size(), 200u) << row;
  EXPECT_NE(row.find("xxx...\n"), std::string::npos) << row;
}

TEST(FormatJobLineTest, KeysInOrderAndEmptyOnesLeftOut) {
  EXPECT_EQ(FormatJobLine(QueuedJob()),
            R"({"id":"0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8ea0","queue":"emails","task":"send",)"
            R"("state":"queued","attempts":0,"failures":0,"max_attempts":0,"priority":0,)"
            R"("submitted_ms":1699999988000})");
}

TEST(FormatJobLineTest, FinishedJobCarriesItsErrorAndTimes) {
  admin::JobInfo job = DeadJob();
  job.set_idempotency_key("order-17");
  job.mutable_error()->set_detail("at line 3");
  nlohmann::json line = nlohmann::json::parse(FormatJobLine(job));
  EXPECT_EQ(line["id"], kSampleJobId);
  EXPECT_EQ(line["state"], "dead");
  EXPECT_EQ(line["attempts"], 3);
  EXPECT_EQ(line["key"], "order-17");
  EXPECT_EQ(line["finished_ms"], kNowMs - 5'000);
  EXPECT_EQ(line["error"]["type"], "std::runtime_error");
  EXPECT_EQ(line["error"]["message"], "disk\non fire");
  EXPECT_EQ(line["error"]["detail"], "at line 3");
  EXPECT_FALSE(line.contains("worker"));
}

TEST(FormatJobLineTest, InvalidUtf8StaysValidJson) {
  admin::JobInfo job = DeadJob();
  job.mutable_error()->set_message("bad \xff byte");
  nlohmann::json line =
      nlohmann::json::parse(FormatJobLine(job), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(line.is_discarded());
}

TEST(OneLineTest, FlattensAndCutsAtACharacterBoundary) {
  EXPECT_EQ(OneLine("a\nb\r\tc", 80), "a b  c");
  EXPECT_EQ(OneLine("abcdefgh", 8), "abcdefgh");
  EXPECT_EQ(OneLine("abcdefghi", 8), "abcde...");
  // "é" is two bytes; cutting after its first would leave invalid UTF-8.
  EXPECT_EQ(OneLine("abcd\xc3\xa9zzzz", 8), "abcd...");
}

}  // namespace
}  // namespace jobq::cli
