#include "common/workflow_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace jobq {
namespace {

using ::testing::HasSubstr;

TEST(WorkflowStateNameTest, EveryStateRoundTripsInAnyCase) {
  for (int value = admin::WorkflowState_MIN; value <= admin::WorkflowState_MAX; ++value) {
    const auto state = static_cast<admin::WorkflowState>(value);
    if (state == admin::WORKFLOW_STATE_UNSPECIFIED) {
      continue;
    }
    const std::string name(WorkflowStateName(state));
    EXPECT_NE(name, "unknown") << value;
    EXPECT_EQ(ParseWorkflowStateName(name).value_or(admin::WORKFLOW_STATE_UNSPECIFIED), state);
  }
  EXPECT_EQ(ParseWorkflowStateName("Running").value_or(admin::WORKFLOW_STATE_UNSPECIFIED),
            admin::WORKFLOW_STATE_RUNNING);
  EXPECT_EQ(WorkflowStateName(admin::WORKFLOW_STATE_UNSPECIFIED), "unknown");
}

TEST(WorkflowStateNameTest, UnknownNameListsTheValidOnes) {
  for (const char* bad : {"blocked", "done", "unknown", ""}) {
    absl::StatusOr<admin::WorkflowState> parsed = ParseWorkflowStateName(bad);
    ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("\"" + std::string(bad) +
                          "\"; valid states: running, succeeded, failed, cancelled"));
  }
}

}  // namespace
}  // namespace jobq
