#include "producer/cli/retry_command.h"

#include <gtest/gtest.h>

#include "common/job_id.h"
#include "tests/unit/producer/sample_job_id.h"

namespace jobq::cli {
namespace {

admin::RetryJobResult Result(admin::RetryJobResult::Outcome outcome, const std::string& message) {
  admin::RetryJobResult result;
  result.set_id(std::string(JobId::Parse(kSampleJobId)->Bytes()));
  result.set_outcome(outcome);
  result.set_message(message);
  return result;
}

TEST(FormatRetryLineTest, IdThenTheBrokersMessageOnOneLine) {
  EXPECT_EQ(FormatRetryLine(Result(admin::RetryJobResult::OUTCOME_RETRIED, "retried: queued")),
            std::string(kSampleJobId) + ": retried: queued");
  EXPECT_EQ(FormatRetryLine(Result(admin::RetryJobResult::OUTCOME_NOT_FINISHED, "not\nretried")),
            std::string(kSampleJobId) + ": not retried");
}

TEST(FormatRetryLineTest, SaysSomethingWhenTheBrokerSentNoMessage) {
  EXPECT_EQ(FormatRetryLine(Result(admin::RetryJobResult::OUTCOME_UNKNOWN_JOB, "")),
            std::string(kSampleJobId) + ": not retried: no such job");
}

TEST(FormatRetryTest, WaitsForParentsNamesTheParentToRetry) {
  const admin::RetryJobResult result = Result(admin::RetryJobResult::OUTCOME_WAITS_FOR_PARENTS, "");
  EXPECT_NE(FormatRetryLine(result).find("retry that parent"), std::string::npos)
      << FormatRetryLine(result);
  EXPECT_NE(FormatRetryJson(result).find("\"outcome\":\"waits_for_parents\""), std::string::npos)
      << FormatRetryJson(result);
  EXPECT_FALSE(Retried(result));
}

TEST(RetriedTest, OnlyTheRetriedOutcomeCounts) {
  EXPECT_TRUE(Retried(Result(admin::RetryJobResult::OUTCOME_RETRIED, "")));
  EXPECT_FALSE(Retried(Result(admin::RetryJobResult::OUTCOME_UNKNOWN_JOB, "")));
  EXPECT_FALSE(Retried(Result(admin::RetryJobResult::OUTCOME_NOT_FINISHED, "")));
  EXPECT_FALSE(Retried(Result(admin::RetryJobResult::OUTCOME_SHUTTING_DOWN, "")));
  EXPECT_FALSE(Retried(Result(admin::RetryJobResult::OUTCOME_UNSPECIFIED, "")));
}

}  // namespace
}  // namespace jobq::cli
