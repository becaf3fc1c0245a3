#include "common/job_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace jobq {
namespace {

using ::testing::HasSubstr;

TEST(JobStateNameTest, LowerCaseNames) {
  EXPECT_EQ(JobStateName(wire::JOB_STATE_BLOCKED), "blocked");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_SCHEDULED), "scheduled");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_QUEUED), "queued");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_RUNNING), "running");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_SUCCEEDED), "succeeded");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_FAILED), "failed");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_DEAD), "dead");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_CANCELLED), "cancelled");
  EXPECT_EQ(JobStateName(wire::JOB_STATE_UNSPECIFIED), "unknown");
  EXPECT_EQ(JobStateName(static_cast<wire::JobState>(99)), "unknown");
}

TEST(ParseJobStateNameTest, EveryNameInAnyCaseRoundTrips) {
  for (int value = wire::JobState_MIN; value <= wire::JobState_MAX; ++value) {
    const auto state = static_cast<wire::JobState>(value);
    if (!wire::JobState_IsValid(value) || state == wire::JOB_STATE_UNSPECIFIED) {
      continue;
    }
    const std::string name(JobStateName(state));
    EXPECT_EQ(ParseJobStateName(name).value_or(wire::JOB_STATE_UNSPECIFIED), state) << name;
  }
  EXPECT_EQ(ParseJobStateName("Dead").value_or(wire::JOB_STATE_UNSPECIFIED), wire::JOB_STATE_DEAD);
}

TEST(ParseJobStateNameTest, UnknownNameListsTheValidOnes) {
  for (const char* bad : {"deceased", "unknown", ""}) {
    absl::StatusOr<wire::JobState> parsed = ParseJobStateName(bad);
    ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("\"" + std::string(bad) +
                          "\"; valid states: blocked, scheduled, queued, "
                          "running, succeeded, failed, dead, cancelled"));
  }
}

}  // namespace
}  // namespace jobq
