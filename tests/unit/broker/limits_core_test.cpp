// The bounds of CoreOptions: what a producer or worker sends never makes
// the core keep more than they allow, and each refusal says which flag.

#include <gtest/gtest.h>

#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using testing::CoreHarness;

bool Mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(LimitsCoreTest, KeptJobsAreBoundedFinishedOnesIncluded) {
  CoreOptions options;
  options.jobs_max = 2;
  CoreHarness harness(options);
  harness.Hello("w", 2);
  std::vector<JobId> ids = harness.Submit("c", {"a", "b"});
  harness.Result("w", ids[0], 1, true);
  harness.Result("w", ids[1], 1, true);
  harness.Submit("c", {"c"});
  std::vector<wire::SubmitAck> acks = harness.Acks("c");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].id().empty());
  EXPECT_EQ(acks[0].error().type(), "queue_full");
  EXPECT_TRUE(Mentions(acks[0].error().message(), "--jobs-max")) << acks[0].error().message();
  EXPECT_EQ(harness.core().job_count(), 2u);
}

TEST(LimitsCoreTest, NewQueuesBeyondTheLimitAreRefusedOldOnesStillTakeJobs) {
  CoreOptions options;
  options.queues_max = 2;
  CoreHarness harness(options);
  harness.Submit("c", {"x"}, "a");
  harness.Submit("c", {"x"}, "b");
  harness.Submit("c", {"x"}, "c");
  ASSERT_EQ(harness.Acks("c").size(), 1u);
  EXPECT_EQ(harness.Acks("c")[0].error().type(), "queue_full");
  EXPECT_TRUE(Mentions(harness.Acks("c")[0].error().message(), "--queues-max"));
  harness.Submit("c", {"x"}, "a");
  ASSERT_EQ(harness.Acks("c").size(), 1u);
  EXPECT_FALSE(harness.Acks("c")[0].id().empty());

  wire::Sentinel sentinel;
  sentinel.set_queue("d");
  harness.FromClient("c", Command::kSentinel, sentinel);
  ASSERT_EQ(harness.Errors("c").size(), 1u);
  EXPECT_EQ(harness.Errors("c")[0].code(), wire::ERROR_CODE_QUEUE_FULL);
  EXPECT_TRUE(Mentions(harness.Errors("c")[0].text(), "--queues-max"));
}

TEST(LimitsCoreTest, ASubmitOverTheBatchLimitIsRefusedWholeNamingTheLimitInFields) {
  CoreOptions options;
  options.jobs_per_submit_max = 2;
  CoreHarness harness(options);
  wire::Submit submit;
  submit.set_first_seq(41);
  for (int i = 0; i < 3; ++i) {
    submit.add_jobs()->set_task("t");
  }
  harness.FromClient("c", Command::kSubmit, submit);
  EXPECT_TRUE(harness.Acks("c").empty());
  ASSERT_EQ(harness.Errors("c").size(), 1u);
  const wire::Error error = harness.Errors("c")[0];
  EXPECT_EQ(error.code(), wire::ERROR_CODE_TOO_LARGE);
  EXPECT_EQ(error.first_seq(), 41u);
  EXPECT_EQ(error.batch_max(), 2u);
  EXPECT_TRUE(Mentions(error.text(), "--batch-max")) << error.text();
  EXPECT_EQ(harness.core().job_count(), 0u);

  // The same jobs split to the limit are taken.
  submit.mutable_jobs()->RemoveLast();
  harness.FromClient("c", Command::kSubmit, submit);
  EXPECT_TRUE(harness.Errors("c").empty());
  EXPECT_EQ(harness.Acks("c").size(), 2u);
  EXPECT_EQ(harness.core().job_count(), 2u);
}

// The rule README, docs/operations.md and docs/protocol.md state: a job
// over a bound is refused in its own ack and the rest of its SUBMIT is
// still taken, in order.
TEST(LimitsCoreTest, ARefusedJobLeavesTheRestOfItsBatchTaken) {
  CoreOptions options;
  options.queue_depth_max = 1;
  options.payload_bytes_max = 4;
  CoreHarness harness(options);
  wire::Submit submit;
  submit.set_first_seq(1);
  submit.add_jobs()->set_task("first");
  submit.add_jobs();  // no task
  wire::JobSpec& big = *submit.add_jobs();
  big.set_task("big");
  big.set_payload("12345");
  submit.add_jobs()->set_task("default is full");
  wire::JobSpec& other = *submit.add_jobs();
  other.set_task("other queue");
  other.set_queue("other");
  harness.FromClient("c", Command::kSubmit, submit);

  std::vector<wire::SubmitAck> acks = harness.Acks("c");
  ASSERT_EQ(acks.size(), 5u);
  for (size_t i = 0; i < acks.size(); ++i) {
    EXPECT_EQ(acks[i].client_seq(), i + 1);
  }
  EXPECT_FALSE(acks[0].id().empty());
  EXPECT_EQ(acks[1].error().type(), "bad_request");
  EXPECT_EQ(acks[2].error().type(), "bad_request");
  EXPECT_TRUE(Mentions(acks[2].error().message(), "--payload-max")) << acks[2].error().message();
  EXPECT_EQ(acks[3].error().type(), "queue_full");
  EXPECT_TRUE(Mentions(acks[3].error().message(), "--queue-max")) << acks[3].error().message();
  EXPECT_FALSE(acks[4].id().empty());
  EXPECT_EQ(harness.core().job_count(), 2u);
}

TEST(LimitsCoreTest, SentinelsWaitingInOneQueueAreBounded) {
  CoreHarness harness;
  wire::Sentinel sentinel;
  for (size_t i = 0; i < kSentinelsPerQueueMax; ++i) {
    harness.FromClient("c", Command::kSentinel, sentinel);
    ASSERT_TRUE(harness.Errors("c").empty()) << "sentinel " << i;
  }
  harness.FromClient("c", Command::kSentinel, sentinel);
  ASSERT_EQ(harness.Errors("c").size(), 1u);
  EXPECT_EQ(harness.Errors("c")[0].code(), wire::ERROR_CODE_QUEUE_FULL);
}

TEST(LimitsCoreTest, WorkersBeyondTheLimitAreRefusedOneRegisteringAgainIsNot) {
  CoreOptions options;
  options.workers_max = 1;
  CoreHarness harness(options);
  harness.Hello("w1", 1);
  EXPECT_EQ(harness.Welcomes("w1").size(), 1u);
  harness.Hello("w2", 1);
  EXPECT_TRUE(harness.Welcomes("w2").empty());
  ASSERT_EQ(harness.Errors("w2").size(), 1u);
  EXPECT_TRUE(Mentions(harness.Errors("w2")[0].text(), "--workers-max"));
  EXPECT_EQ(harness.core().worker_count(), 1u);
  harness.Hello("w1", 1);
  EXPECT_EQ(harness.Welcomes("w1").size(), 1u);
}

TEST(LimitsCoreTest, HelloListingTooManyQueuesIsRefused) {
  CoreHarness harness;
  std::vector<std::string> queues;
  for (int i = 0; i <= kHelloQueuesMax; ++i) {
    queues.push_back("q" + std::to_string(i));
  }
  harness.Hello("w", 1, queues);
  ASSERT_EQ(harness.Errors("w").size(), 1u);
  EXPECT_EQ(harness.Errors("w")[0].code(), wire::ERROR_CODE_TOO_LARGE);
  EXPECT_EQ(harness.core().worker_count(), 0u);
}

TEST(LimitsCoreTest, WelcomeTellsWorkersTheLargestResultKept) {
  CoreOptions options;
  options.result_bytes_max = 12345;
  CoreHarness harness(options);
  harness.Hello("w", 1);
  ASSERT_EQ(harness.Welcomes("w").size(), 1u);
  EXPECT_EQ(harness.Welcomes("w")[0].result_bytes_max(), 12345u);
}

TEST(LimitsCoreTest, OversizedResultFailsTheJobWithoutRetryAndIsNotKept) {
  CoreOptions options;
  options.result_bytes_max = 10;
  CoreHarness harness(options);
  harness.Hello("w", 1);
  std::vector<JobId> ids = harness.Submit("c", {"big"}, "default", 0, /*notify=*/true,
                                          /*max_attempts=*/3);
  wire::WorkerResults results;
  wire::JobResult& result = *results.add_results();
  result.set_id(std::string(ids[0].Bytes()));
  result.set_attempt(1);
  result.set_ok(true);
  result.set_result(std::string(11, 'x'));
  harness.FromWorker("w", Command::kWorkerResult, results);
  std::vector<wire::JobOutcome> outcomes = harness.Outcomes("c");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].state(), wire::JOB_STATE_FAILED);
  EXPECT_EQ(outcomes[0].error().type(), "result_too_large");
  EXPECT_TRUE(outcomes[0].result().empty());
  EXPECT_TRUE(Mentions(outcomes[0].error().message(), "--result-max"));
}

}  // namespace
}  // namespace jobq::broker::core
