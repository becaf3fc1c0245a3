#include "producer/cli/exit_code.h"

#include <gtest/gtest.h>

namespace jobq::cli {
namespace {

SubmitAck Accepted() {
  SubmitAck ack;
  ack.id = JobId();
  return ack;
}

SubmitAck Rejected() {
  SubmitAck ack;
  ack.error.set_type("queue_full");
  return ack;
}

Outcome Finished(wire::JobState state) {
  Outcome outcome;
  outcome.state = state;
  return outcome;
}

TEST(RunTallyTest, NothingCountedIsSuccess) {
  EXPECT_EQ(RunTally().ExitCode(absl::OkStatus()), kExitOk);
}

TEST(RunTallyTest, AllAcceptedIsSuccessWithoutWait) {
  RunTally tally;
  tally.CountAck(Accepted());
  tally.CountAck(Accepted());
  EXPECT_EQ(tally.accepted(), 2u);
  EXPECT_EQ(tally.ExitCode(absl::OkStatus()), kExitOk);
}

TEST(RunTallyTest, AnyRejectionIsOne) {
  RunTally tally;
  tally.CountAck(Accepted());
  tally.CountAck(Rejected());
  EXPECT_EQ(tally.rejected(), 1u);
  EXPECT_EQ(tally.ExitCode(absl::OkStatus()), kExitJobsFailed);
}

TEST(RunTallyTest, AllSucceededIsSuccess) {
  RunTally tally;
  tally.CountAck(Accepted());
  tally.CountOutcome(Finished(wire::JOB_STATE_SUCCEEDED));
  EXPECT_EQ(tally.ExitCode(absl::OkStatus()), kExitOk);
}

TEST(RunTallyTest, EveryOtherFinalStateIsOne) {
  for (wire::JobState state : {wire::JOB_STATE_FAILED, wire::JOB_STATE_DEAD,
                               wire::JOB_STATE_CANCELLED, wire::JOB_STATE_UNSPECIFIED}) {
    RunTally tally;
    tally.CountOutcome(Finished(wire::JOB_STATE_SUCCEEDED));
    tally.CountOutcome(Finished(state));
    EXPECT_EQ(tally.unsuccessful(), 1u);
    EXPECT_EQ(tally.ExitCode(absl::OkStatus()), kExitJobsFailed) << JobStateName(state);
  }
}

TEST(RunTallyTest, RunFailureIsTwoWhateverTheJobs) {
  RunTally tally;
  tally.CountOutcome(Finished(wire::JOB_STATE_DEAD));
  EXPECT_EQ(tally.ExitCode(absl::UnavailableError("cannot reach the broker")), kExitUsage);
  EXPECT_EQ(RunTally().ExitCode(absl::InvalidArgumentError("line 3: bad")), kExitUsage);
}

}  // namespace
}  // namespace jobq::cli
