// The index behind the admin listings: counts by queue and state kept by
// every transition, pages in id order that cost O(page + log n), and a
// bound on the jobs one page examines, so that a sparse filter comes back
// short, says where to go on, and still finds every match.

#include "broker/core/job_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::core {
namespace {

using ::jobq::testing::CoreHarness;

Job MakeJob(uint8_t n, const std::string& queue, const std::string& task, wire::JobState state) {
  std::string bytes(JobId::kSize, '\0');
  bytes[JobId::kSize - 1] = static_cast<char>(n);
  Job job;
  job.id = *JobId::FromBytes(bytes);
  job.spec.set_queue(queue);
  job.spec.set_task(task);
  job.state = state;
  return job;
}

TEST(JobIndexTest, CountsFollowEveryMoveAndRemoval) {
  JobIndex index;
  Job a = MakeJob(1, "q", "t", wire::JOB_STATE_QUEUED);
  Job b = MakeJob(2, "q", "t", wire::JOB_STATE_SCHEDULED);
  index.Add(a);
  index.Add(b);
  EXPECT_EQ(index.Waiting("q"), 2u);
  index.Move(a, wire::JOB_STATE_RUNNING);
  a.state = wire::JOB_STATE_RUNNING;
  EXPECT_EQ(index.Waiting("q"), 1u);
  EXPECT_EQ(index.Count("q", wire::JOB_STATE_RUNNING), 1u);
  index.Remove(b);
  EXPECT_EQ(index.Waiting("q"), 0u);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.Count("other", wire::JOB_STATE_QUEUED), 0u);
}

TEST(JobIndexTest, CandidatesMergeTheStatesOfAQueueInIdOrder) {
  JobIndex index;
  const std::vector<Job> jobs = {
      MakeJob(3, "q", "t", wire::JOB_STATE_DEAD), MakeJob(1, "q", "t", wire::JOB_STATE_QUEUED),
      MakeJob(2, "r", "t", wire::JOB_STATE_QUEUED), MakeJob(4, "q", "u", wire::JOB_STATE_RUNNING)};
  for (const Job& job : jobs) {
    index.Add(job);
  }
  JobFilter filter;
  filter.queue = "q";
  std::vector<JobId> seen;
  index.Candidates(filter, 100, [&](const JobId& id) {
    seen.push_back(id);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<JobId>{jobs[1].id, jobs[0].id, jobs[3].id}));
  filter.after = jobs[0].id;
  seen.clear();
  index.Candidates(filter, 100, [&](const JobId& id) {
    seen.push_back(id);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<JobId>{jobs[3].id}));
}

TEST(JobIndexTest, PagesByStateGoInIdOrderAndTheLastHasNoNextPage) {
  CoreHarness harness;
  const std::vector<JobId> ids = harness.Submit("c", std::vector<std::string>(250, "t"));
  JobFilter filter;
  filter.state = wire::JOB_STATE_QUEUED;
  filter.limit = 100;
  std::vector<JobId> listed;
  int pages = 0;
  for (;;) {
    const JobPage page = harness.core().ListJobs(filter);
    ++pages;
    for (const Job* job : page.jobs) {
      listed.push_back(job->id);
    }
    if (!page.next_after) {
      break;
    }
    filter.after = page.next_after;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed, ids);
}

TEST(JobIndexTest, ASparseFilterComesBackShortAndPagingOnFindsItsJob) {
  CoreHarness harness;
  // More cancelled jobs of task "b" than a page examines, then one queued
  // "b", amid as many queued "a": neither the task nor the state alone
  // narrows the walk to the one match.
  std::vector<std::string> b_jobs(kListExamineMax + 10, "b");
  for (const JobId& id : harness.Submit("c", b_jobs)) {
    harness.core().CancelJob(id, harness.clock().NowMs(), &harness.effects());
  }
  harness.Submit("c", std::vector<std::string>(kListExamineMax + 10, "a"));
  const JobId wanted = harness.Submit("c", {"b"}).front();
  harness.core().CheckInvariants();

  JobFilter filter;
  filter.state = wire::JOB_STATE_QUEUED;
  filter.task = "b";
  const JobPage first = harness.core().ListJobs(filter);
  EXPECT_TRUE(first.jobs.empty());
  ASSERT_TRUE(first.next_after.has_value()) << "a short page must say where to go on";
  std::vector<JobId> found;
  std::optional<JobId> after = first.next_after;
  for (int page = 0; after && page < 10; ++page) {
    filter.after = after;
    const JobPage next = harness.core().ListJobs(filter);
    for (const Job* job : next.jobs) {
      found.push_back(job->id);
    }
    after = next.next_after;
  }
  EXPECT_EQ(found, std::vector<JobId>{wanted});
}

TEST(JobIndexTest, PurgeTakesOnlyTheWaitingJobsOfItsQueue) {
  CoreHarness harness;
  const std::vector<JobId> purged = harness.Submit("c", {"t", "t"}, "q");
  const std::vector<JobId> kept = harness.Submit("c", {"t"}, "other");
  ASSERT_EQ(harness.core().PurgeQueue("q", harness.clock().NowMs(), &harness.effects()), 2u);
  harness.core().CheckInvariants();
  for (const JobId& id : purged) {
    EXPECT_EQ(harness.core().FindJob(id)->state, wire::JOB_STATE_CANCELLED);
  }
  EXPECT_EQ(harness.core().FindJob(kept[0])->state, wire::JOB_STATE_QUEUED);
}

}  // namespace
}  // namespace jobq::broker::core
