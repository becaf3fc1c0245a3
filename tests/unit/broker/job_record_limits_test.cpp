// FromRecord and times out of bounds: a record written before submits were
// checked (timeout_ms = INT64_MAX, say), or damaged, loads with each time
// clamped into its range, so the core's sums of times cannot overflow.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "broker/store/job_record.h"
#include "common/time_limits.h"

namespace jobq::broker::store {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

TEST(JobRecordLimitsTest, TimesOutOfRangeAreClampedWhenReadBack) {
  JobRecord record;
  record.set_id(std::string(16, '\1'));
  record.set_state(wire::JOB_STATE_SUCCEEDED);
  record.mutable_spec()->set_task("t");
  record.mutable_spec()->set_timeout_ms(kInt64Max);
  record.mutable_spec()->set_result_ttl_ms(kInt64Max);
  record.mutable_spec()->set_backoff_ms(kInt64Min);
  record.mutable_spec()->set_not_before_ms(kInt64Max);
  record.set_submitted_ms(kInt64Min);
  record.set_scheduled_ms(-1);
  record.set_started_ms(kInt64Max);
  record.set_finished_ms(kInt64Max);

  const core::Job job = FromRecord(record);
  EXPECT_EQ(job.spec.timeout_ms(), kJobTimeoutMsMax);
  EXPECT_EQ(job.spec.result_ttl_ms(), kDurationMsMax);
  EXPECT_EQ(job.spec.backoff_ms(), 0);
  EXPECT_EQ(job.spec.not_before_ms(), kUnixMsMax);
  EXPECT_EQ(job.submitted_ms, 0);
  EXPECT_EQ(job.scheduled_ms, 0);
  EXPECT_EQ(job.started_ms, kUnixMsMax);
  EXPECT_EQ(job.finished_ms, kUnixMsMax);
}

TEST(JobRecordLimitsTest, TimesInRangeAreKept) {
  JobRecord record;
  record.set_id(std::string(16, '\1'));
  record.mutable_spec()->set_timeout_ms(kJobTimeoutMsMax);
  record.mutable_spec()->set_result_ttl_ms(kDurationMsMax);
  record.mutable_spec()->set_backoff_ms(1);
  record.mutable_spec()->set_not_before_ms(1'700'000'000'000);
  record.set_finished_ms(1'700'000'000'001);
  const core::Job job = FromRecord(record);
  EXPECT_EQ(job.spec.timeout_ms(), kJobTimeoutMsMax);
  EXPECT_EQ(job.spec.result_ttl_ms(), kDurationMsMax);
  EXPECT_EQ(job.spec.backoff_ms(), 1);
  EXPECT_EQ(job.spec.not_before_ms(), 1'700'000'000'000);
  EXPECT_EQ(job.finished_ms, 1'700'000'000'001);
}

}  // namespace
}  // namespace jobq::broker::store
