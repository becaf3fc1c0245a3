#include "producer/client/outcome.h"

#include <gtest/gtest.h>

namespace jobq {
namespace {

TEST(IsFinalStateTest, OnlyStatesAJobStaysIn) {
  EXPECT_FALSE(IsFinalState(wire::JOB_STATE_BLOCKED)) << "waits for its parents";
  EXPECT_FALSE(IsFinalState(static_cast<wire::JobState>(99))) << "a state added later";
  EXPECT_FALSE(IsFinalState(wire::JOB_STATE_SCHEDULED));
  EXPECT_FALSE(IsFinalState(wire::JOB_STATE_QUEUED));
  EXPECT_FALSE(IsFinalState(wire::JOB_STATE_RUNNING));
  EXPECT_TRUE(IsFinalState(wire::JOB_STATE_SUCCEEDED));
  EXPECT_TRUE(IsFinalState(wire::JOB_STATE_FAILED));
  EXPECT_TRUE(IsFinalState(wire::JOB_STATE_DEAD));
  EXPECT_TRUE(IsFinalState(wire::JOB_STATE_CANCELLED));
  EXPECT_TRUE(IsFinalState(wire::JOB_STATE_UNSPECIFIED)) << "how unknown_job is reported";
}

TEST(OutcomeFromWireTest, CopiesEveryField) {
  const JobId id = *JobId::Parse("0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f");
  wire::JobOutcome wire_outcome;
  wire_outcome.set_id(std::string(id.Bytes()));
  wire_outcome.set_state(wire::JOB_STATE_DEAD);
  wire_outcome.set_attempts(3);
  wire_outcome.set_result("r");
  wire_outcome.set_content_type("text/plain");
  wire_outcome.mutable_error()->set_type("timeout");
  auto outcome = OutcomeFromWire(wire_outcome);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->id, id);
  EXPECT_EQ(outcome->state, wire::JOB_STATE_DEAD);
  EXPECT_EQ(outcome->attempts, 3u);
  EXPECT_EQ(outcome->result, "r");
  EXPECT_EQ(outcome->content_type, "text/plain");
  EXPECT_EQ(outcome->error.type(), "timeout");
  EXPECT_FALSE(outcome->succeeded());
}

TEST(OutcomeFromWireTest, RejectsMalformedId) {
  wire::JobOutcome wire_outcome;
  wire_outcome.set_id("short");
  EXPECT_FALSE(OutcomeFromWire(wire_outcome).has_value());
}

}  // namespace
}  // namespace jobq
