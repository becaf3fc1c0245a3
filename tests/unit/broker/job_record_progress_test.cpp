// The last progress report in the stored job record: written with the job
// and read back as it was; a damaged one (beyond the bounds the broker
// enforces, or of an attempt the job has not made) is dropped on reading,
// so that the core never holds a report it would have refused.

#include <gtest/gtest.h>

#include <string>

#include "broker/store/job_record.h"
#include "common/progress_limits.h"

namespace jobq::broker::store {
namespace {

using ::jobq::store::StoredProgress;

// As the store writes it and reads it back: serialized, then parsed.
JobRecord Reparsed(const JobRecord& record) {
  JobRecord back;
  EXPECT_TRUE(back.ParseFromString(record.SerializeAsString()));
  return back;
}

core::Job FinishedJob() {
  core::Job job;
  job.id = JobId::FromBytes(std::string(16, '\2')).value();
  job.spec.set_task("t");
  job.state = wire::JOB_STATE_SUCCEEDED;
  job.attempt = 2;
  job.progress = core::JobProgress{2, 7, 10, "page 7", 1'800'000'000'000};
  return job;
}

TEST(JobRecordProgressTest, TheLastReportRoundTrips) {
  const core::Job job = FinishedJob();
  const core::Job back = FromRecord(Reparsed(ToRecord(job)));
  EXPECT_EQ(back.progress, job.progress);
  core::Job none = FinishedJob();
  none.progress = core::JobProgress();
  EXPECT_FALSE(ToRecord(none).has_progress());
  EXPECT_TRUE(FromRecord(ToRecord(none)).progress.empty());
}

TEST(JobRecordProgressTest, ADamagedReportIsDropped) {
  auto damaged = [](auto damage) {
    JobRecord record = ToRecord(FinishedJob());
    damage(record.mutable_progress());
    return FromRecord(record).progress;
  };
  EXPECT_TRUE(damaged([](StoredProgress* p) { p->set_done(11); }).empty()) << "done > total";
  EXPECT_TRUE(damaged([](StoredProgress* p) { p->set_attempt(3); }).empty()) << "a later attempt";
  EXPECT_TRUE(damaged([](StoredProgress* p) {
                p->set_message(std::string(kProgressMessageBytesMax + 1, 'x'));
              }).empty());
  EXPECT_FALSE(damaged([](StoredProgress* p) { p->set_attempt(1); }).empty())
      << "an earlier attempt of a finished job is its last report";
  JobRecord running = ToRecord(FinishedJob());
  running.set_state(wire::JOB_STATE_RUNNING);
  running.mutable_progress()->set_attempt(1);
  EXPECT_TRUE(FromRecord(running).progress.empty()) << "a running job's is of its attempt";
}

}  // namespace
}  // namespace jobq::broker::store
