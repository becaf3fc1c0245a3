#include "producer/cli/jobs_command.h"

#include <gtest/gtest.h>

#include "common/job_id.h"
#include "producer/cli/job_ids.h"
#include "tests/unit/producer/sample_job_id.h"

namespace jobq::cli {
namespace {

TEST(ListJobsRequestFromFlagsTest, DefaultsListEverythingAHundredAtATime) {
  auto request = ListJobsRequestFromFlags(JobsFlags{});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->state(), wire::JOB_STATE_UNSPECIFIED);
  EXPECT_EQ(request->state_name(), "");
  EXPECT_EQ(request->queue(), "");
  EXPECT_EQ(request->limit(), 100u);
  EXPECT_EQ(request->page_after(), "");
}

TEST(ListJobsRequestFromFlagsTest, EveryFlagLandsInItsField) {
  JobsFlags flags;
  flags.state = "dead";
  flags.queue = "emails";
  flags.limit = 10'000;
  flags.after = kSampleJobId;
  auto request = ListJobsRequestFromFlags(flags);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->state(), wire::JOB_STATE_DEAD);
  EXPECT_EQ(request->queue(), "emails");
  EXPECT_EQ(request->limit(), 10'000u);
  EXPECT_EQ(request->page_after(), std::string(JobId::Parse(kSampleJobId)->Bytes()));
}

TEST(ListJobsRequestFromFlagsTest, EveryStateNameIsAccepted) {
  const std::pair<const char*, wire::JobState> states[] = {
      {"queued", wire::JOB_STATE_QUEUED},       {"scheduled", wire::JOB_STATE_SCHEDULED},
      {"running", wire::JOB_STATE_RUNNING},     {"succeeded", wire::JOB_STATE_SUCCEEDED},
      {"failed", wire::JOB_STATE_FAILED},       {"dead", wire::JOB_STATE_DEAD},
      {"cancelled", wire::JOB_STATE_CANCELLED},
  };
  for (const auto& [name, state] : states) {
    JobsFlags flags;
    flags.state = name;
    auto request = ListJobsRequestFromFlags(flags);
    ASSERT_TRUE(request.ok()) << name << ": " << request.status();
    EXPECT_EQ(request->state(), state) << name;
  }
}

TEST(ListJobsRequestFromFlagsTest, UnknownStateListsTheValidNames) {
  JobsFlags flags;
  flags.state = "deceased";
  auto request = ListJobsRequestFromFlags(flags);
  ASSERT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(request.status().message());
  EXPECT_NE(message.find("--state"), std::string::npos) << message;
  EXPECT_NE(message.find("deceased"), std::string::npos) << message;
  for (const char* name :
       {"queued", "scheduled", "running", "succeeded", "failed", "dead", "cancelled"}) {
    EXPECT_NE(message.find(name), std::string::npos) << name << " in: " << message;
  }
}

TEST(ListJobsRequestFromFlagsTest, LimitOutsideOneToTenThousandIsRefused) {
  for (int64_t limit : {0L, -1L, 10'001L}) {
    JobsFlags flags;
    flags.limit = limit;
    auto request = ListJobsRequestFromFlags(flags);
    ASSERT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << limit;
    EXPECT_NE(request.status().message().find("--limit"), std::string::npos);
  }
}

TEST(ListJobsRequestFromFlagsTest, MalformedAfterIsRefusedNamingTheFlag) {
  JobsFlags flags;
  flags.after = "last-one";
  auto request = ListJobsRequestFromFlags(flags);
  ASSERT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(request.status().message());
  EXPECT_NE(message.find("--after"), std::string::npos) << message;
  EXPECT_NE(message.find("last-one"), std::string::npos) << message;
}

TEST(ParseJobIdArgsTest, KeepsOrderAndDropsRepeats) {
  const std::string other = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8ea0";
  auto ids = ParseJobIdArgs({other, kSampleJobId, other});
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0].ToString(), other);
  EXPECT_EQ((*ids)[1].ToString(), kSampleJobId);
}

TEST(ParseJobIdArgsTest, MalformedIdIsNamedWithTheExpectedForm) {
  auto ids = ParseJobIdArgs({kSampleJobId, "12345"});
  ASSERT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(ids.status().message());
  EXPECT_NE(message.find("'12345'"), std::string::npos) << message;
  EXPECT_NE(message.find("36-character"), std::string::npos) << message;
}

}  // namespace
}  // namespace jobq::cli
