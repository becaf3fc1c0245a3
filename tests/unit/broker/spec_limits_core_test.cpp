// BrokerCore and the bounds of a JobSpec's times (broker/core/spec_limits.h):
// a job out of them is refused alone, with bad_request naming the field,
// and jobs at the bounds run, keep their results and retry without any
// time sum overflowing.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "broker/core/broker_core.h"
#include "common/time_limits.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;
using ::jobq::testing::IdOf;

wire::JobSpec Spec() {
  wire::JobSpec spec;
  spec.set_task("t");
  return spec;
}

TEST(SpecLimitsCoreTest, AJobOutOfBoundsIsRefusedAloneWithBadRequestNamingTheField) {
  CoreHarness harness;
  wire::Submit submit;
  submit.set_first_seq(10);
  *submit.add_jobs() = Spec();
  wire::JobSpec& timeout = *submit.add_jobs() = Spec();
  timeout.set_timeout_ms(std::numeric_limits<int64_t>::max());
  wire::JobSpec& ttl = *submit.add_jobs() = Spec();
  ttl.set_result_ttl_ms(std::numeric_limits<int64_t>::max());
  wire::JobSpec& backoff = *submit.add_jobs() = Spec();
  backoff.set_backoff_ms(-1);
  wire::JobSpec& not_before = *submit.add_jobs() = Spec();
  not_before.set_not_before_ms(std::numeric_limits<int64_t>::min());
  *submit.add_jobs() = Spec();
  harness.FromClient("c", Command::kSubmit, submit);

  std::vector<wire::SubmitAck> acks = harness.Acks("c");
  ASSERT_EQ(acks.size(), 6u);
  std::map<uint64_t, wire::SubmitAck> by_seq;
  for (const wire::SubmitAck& ack : acks) {
    by_seq[ack.client_seq()] = ack;
  }
  EXPECT_FALSE(by_seq[10].id().empty());
  EXPECT_FALSE(by_seq[15].id().empty()) << "the rest of the batch is taken";
  const std::pair<uint64_t, const char*> refused[] = {
      {11, "timeout_ms"}, {12, "result_ttl_ms"}, {13, "backoff_ms"}, {14, "not_before_ms"}};
  for (const auto& [seq, field] : refused) {
    EXPECT_TRUE(by_seq[seq].id().empty()) << field;
    EXPECT_EQ(by_seq[seq].error().type(), "bad_request") << field;
    EXPECT_NE(by_seq[seq].error().message().find(field), std::string::npos)
        << by_seq[seq].error().message();
  }
  EXPECT_EQ(harness.core().job_count(), 2u);
  EXPECT_EQ(harness.core().counters().rejected, 4u);
}

TEST(SpecLimitsCoreTest, TheLongestTimeoutLeasesTheJobForThatLong) {
  CoreHarness harness;
  harness.Hello("w", 1);
  wire::Submit submit;
  wire::JobSpec& spec = *submit.add_jobs() = Spec();
  spec.set_timeout_ms(kJobTimeoutMsMax);
  harness.FromClient("c", Command::kSubmit, submit);
  ASSERT_EQ(harness.Dispatched("w").size(), 1u);
  EXPECT_EQ(harness.Dispatched("w")[0].timeout_ms(), kJobTimeoutMsMax);
  const Job* job = harness.core().FindJob(IdOf(harness.Acks("c")[0]));
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->state, wire::JOB_STATE_RUNNING);
  EXPECT_EQ(job->lease_expires_ms,
            harness.clock().NowMs() + kJobTimeoutMsMax + CoreOptions().lease_grace_ms);
}

TEST(SpecLimitsCoreTest, TheLongestResultTtlKeepsTheJobFindable) {
  CoreHarness harness;
  harness.Hello("w", 1);
  wire::Submit submit;
  wire::JobSpec& spec = *submit.add_jobs() = Spec();
  spec.set_result_ttl_ms(kDurationMsMax);
  harness.FromClient("c", Command::kSubmit, submit);
  const JobId id = IdOf(harness.Acks("c")[0]);
  harness.Result("w", id, 1, true);
  harness.AdvanceMs(1000);
  const Job* job = harness.core().FindJob(id);
  ASSERT_NE(job, nullptr) << "kept for its result TTL";
  EXPECT_EQ(job->state, wire::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->expires_ms, job->finished_ms + kDurationMsMax);
}

TEST(SpecLimitsCoreTest, TheLongestBackoffDoubledManyTimesStaysWithinBackoffMax) {
  CoreOptions options;
  options.backoff_max_ms = 3'600'000;
  // Outlives each wait, so the silent worker is not declared dead meanwhile.
  options.heartbeat_interval_ms = 3'600'000;
  CoreHarness harness(options);
  constexpr uint32_t kFailures = 45;  // past the 40 doublings BackoffFor allows
  harness.Hello("w", kFailures + 1);  // room for every attempt without CREDIT
  wire::Submit submit;
  wire::JobSpec& spec = *submit.add_jobs() = Spec();
  spec.set_backoff_ms(kDurationMsMax);
  spec.set_max_attempts(kFailures + 1);
  harness.FromClient("c", Command::kSubmit, submit);
  const JobId id = IdOf(harness.Acks("c")[0]);
  for (uint32_t attempt = 1; attempt <= kFailures; ++attempt) {
    harness.Result("w", id, attempt, false, "exception");
    const Job* job = harness.core().FindJob(id);
    ASSERT_EQ(job->state, wire::JOB_STATE_SCHEDULED) << "attempt " << attempt;
    const TimeMs wait_ms = job->scheduled_ms - harness.clock().NowMs();
    ASSERT_GE(wait_ms, options.backoff_max_ms / 2) << "attempt " << attempt;
    ASSERT_LE(wait_ms, options.backoff_max_ms) << "attempt " << attempt;
    harness.AdvanceMs(wait_ms);
    ASSERT_EQ(harness.Dispatched("w").size(), 1u) << "attempt " << attempt;
  }
}

}  // namespace
}  // namespace jobq::broker::core
