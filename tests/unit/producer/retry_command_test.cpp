#include "producer/cli/retry_command.h"

#include <gtest/gtest.h>

#include "common/job_id.h"

namespace jobq::cli {
namespace {

constexpr char kId[] = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";

admin::RetryJobResult Result(admin::RetryJobResult::Outcome outcome, const std::string& message) {
  admin::RetryJobResult result;
  result.set_id(std::string(JobId::Parse(kId)->Bytes()));
  result.set_outcome(outcome);
  result.set_message(message);
  return result;
}

TEST(FormatRetryLineTest, IdThenTheBrokersMessageOnOneLine) {
  EXPECT_EQ(FormatRetryLine(Result(admin::RetryJobResult::OUTCOME_RETRIED, "retried: queued")),
            std::string(kId) + ": retried: queued");
  EXPECT_EQ(FormatRetryLine(Result(admin::RetryJobResult::OUTCOME_NOT_FINISHED, "not\nretried")),
            std::string(kId) + ": not retried");
}

TEST(FormatRetryLineTest, SaysSomethingWhenTheBrokerSentNoMessage) {
  EXPECT_EQ(FormatRetryLine(Result(admin::RetryJobResult::OUTCOME_UNKNOWN_JOB, "")),
            std::string(kId) + ": not retried: no such job");
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
