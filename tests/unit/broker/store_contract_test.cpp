// What every durable store keeps and gives back (store_contract.h): jobs
// with every field, updates and erasures, a reopen, a large batch, a
// failed commit that writes nothing, and the side tables (sentinels,
// schedules, limits, workflows) until they are removed.

#include "tests/unit/broker/store_contract.h"

#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <string>
#include <vector>

namespace jobq::broker::store {
namespace {

using ::google::protobuf::util::MessageDifferencer;

TEST_P(StoreContractTest, IsDurableAndStartsEmpty) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->durable());
  EXPECT_TRUE(store->Health().reachable);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_TRUE(recovered->jobs.empty());
  EXPECT_TRUE(recovered->sentinels.empty());
  EXPECT_TRUE(recovered->schedules.empty());
  EXPECT_TRUE(recovered->limits.empty());
  EXPECT_TRUE(recovered->workflows.empty());
  EXPECT_TRUE(store->Commit(CommitBatch{}).ok());
}

TEST_P(StoreContractTest, RoundTripsAJobWithEveryFieldSet) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const core::Job job = FullJob();
  ASSERT_TRUE(CommitJobs(*store, {&job}, {}).ok());

  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  const core::Job& back = (*jobs)[0];
  ExpectSameJob(back, job);
  // The bytes that are easiest to lose, checked on their own.
  EXPECT_EQ(back.spec.payload(), std::string("a\0b\0\xff\x00z", 7));
  EXPECT_EQ(back.leased_to, std::string("\0\x80\x01worker", 9));
  EXPECT_EQ(back.result, std::string("r\0e\0s", 5));
  EXPECT_EQ(back.error.detail(), "Traceback...\n  line 1");
}

TEST_P(StoreContractTest, UpdatesAndErases) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  core::Job a = SimpleJob("a");
  core::Job b = SimpleJob("b");
  core::Job c = SimpleJob("c");
  ASSERT_TRUE(CommitJobs(*store, {&a, &b, &c}, {}).ok());

  a.state = wire::JOB_STATE_RUNNING;
  a.attempt = 1;
  a.leased_to = "w1";
  a.started_ms = 5;
  // One call both updates `a` and erases `b` (and an id never written).
  ASSERT_TRUE(CommitJobs(*store, {&a}, {b.id, NextId()}).ok());

  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  auto by_id = ById(std::move(*jobs));
  ASSERT_EQ(by_id.size(), 2u);
  ExpectSameJob(by_id.at(a.id), a);
  ExpectSameJob(by_id.at(c.id), c);
  EXPECT_EQ(by_id.count(b.id), 0u);

  ASSERT_TRUE(CommitJobs(*store, {}, {a.id, c.id}).ok());
  jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(jobs->empty());
}

TEST_P(StoreContractTest, AJobTwiceInABatchKeepsItsLastStateAndAnErasedOneIsGone) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  core::Job first = SimpleJob("twice");
  core::Job last = first;
  last.state = wire::JOB_STATE_SUCCEEDED;
  last.result = "done";
  core::Job gone = SimpleJob("gone");
  // Jobs are written, then erased: `gone` is changed and erased at once.
  ASSERT_TRUE(CommitJobs(*store, {&first, &gone, &last}, {gone.id}).ok());
  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  ExpectSameJob((*jobs)[0], last);
}

TEST_P(StoreContractTest, ReopenRecoversExactlyWhatWasCommitted) {
  std::vector<core::Job> kept;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    core::Job full = FullJob();
    core::Job gone = SimpleJob("gone");
    core::Job updated = SimpleJob("updated");
    ASSERT_TRUE(CommitJobs(*store, {&full, &gone, &updated}, {}).ok());
    updated.state = wire::JOB_STATE_SUCCEEDED;
    updated.result = "42";
    ASSERT_TRUE(CommitJobs(*store, {&updated}, {gone.id}).ok());
    kept = {full, updated};
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  auto by_id = ById(std::move(*jobs));
  ASSERT_EQ(by_id.size(), kept.size());
  for (const core::Job& job : kept) {
    ASSERT_EQ(by_id.count(job.id), 1u) << job.id.ToString();
    ExpectSameJob(by_id.at(job.id), job);
  }
}

TEST_P(StoreContractTest, CommitsTenThousandJobsInOneCall) {
  constexpr int kJobs = 10'000;
  std::vector<core::Job> jobs;
  jobs.reserve(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(SimpleJob("t" + std::to_string(i)));
    jobs.back().spec.set_payload(std::string(100, static_cast<char>(i)));
  }
  std::vector<const core::Job*> changed;
  for (const core::Job& job : jobs) {
    changed.push_back(&job);
  }
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitJobs(*store, changed, {}).ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto recovered = RecoverJobs(*store);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  auto by_id = ById(std::move(*recovered));
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kJobs));
  for (const core::Job& job : jobs) {
    auto it = by_id.find(job.id);
    ASSERT_NE(it, by_id.end());
    ASSERT_EQ(it->second.spec.task(), job.spec.task());
    ASSERT_EQ(it->second.spec.payload(), job.spec.payload());
  }
}

TEST_P(StoreContractTest, AFailedCommitWritesNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  core::Job old_job = SimpleJob("old");
  ASSERT_TRUE(CommitJobs(*store, {&old_job}, {}).ok());
  // Another program makes every delete fail: the upsert of the same call,
  // which ran before it, must not stay.
  under_test_->RefuseJobDeletes(true);
  core::Job new_job = SimpleJob("new");
  core::Job changed_old = old_job;
  changed_old.state = wire::JOB_STATE_RUNNING;
  absl::Status status = CommitJobs(*store, {&new_job, &changed_old}, {old_job.id});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("deletes refused by test"), std::string::npos) << status;
  EXPECT_NE(status.message().find(store->Describe()), std::string::npos) << status;

  auto jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  ExpectSameJob((*jobs)[0], old_job);

  // The store still works afterwards.
  under_test_->RefuseJobDeletes(false);
  ASSERT_TRUE(CommitJobs(*store, {&new_job}, {old_job.id}).ok());
  jobs = RecoverJobs(*store);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  ExpectSameJob((*jobs)[0], new_job);
}

TEST_P(StoreContractTest, SentinelsSurviveAReopenUntilRemoved) {
  const JobId first = NextId();
  const JobId second = NextId();
  const JobId fired_at_once = NextId();
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    const std::vector<core::SentinelMark> added = {
        {first, "default"}, {second, "emails"}, {fired_at_once, "default"}};
    const std::vector<JobId> removed = {fired_at_once};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, added, removed}).ok());
  }
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    auto recovered = store->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    std::map<JobId, std::string> sentinels;
    for (const core::SentinelMark& mark : recovered->sentinels) {
      sentinels[mark.id] = mark.queue;
    }
    EXPECT_EQ(sentinels, (std::map<JobId, std::string>{{first, "default"}, {second, "emails"}}));
    const std::vector<JobId> removed = {first};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, {}, removed}).ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->sentinels.size(), 1u);
  EXPECT_EQ(recovered->sentinels[0].id, second);
}

TEST_P(StoreContractTest, SchedulesSurviveAReopenUntilRemoved) {
  ScheduleRecord tick;
  tick.mutable_spec()->set_name("tick");
  tick.mutable_spec()->set_every_ms(1000);
  tick.mutable_spec()->mutable_job()->set_task("noop");
  tick.set_cursor_ms(1'700'000'003'000);
  tick.set_fired(3);
  ScheduleRecord gone = tick;
  gone.mutable_spec()->set_name("gone");
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    const std::vector<ScheduleRecord> changed = {tick, gone};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, {}, {}, changed, {}}).ok());
    // Removed and added again under its name in one batch: erased first.
    const std::vector<std::string> erased = {"gone", "tick"};
    const std::vector<ScheduleRecord> again = {tick};
    ASSERT_TRUE(store->Commit(CommitBatch{{}, {}, {}, {}, again, erased}).ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->schedules.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(recovered->schedules[0], tick));
}

TEST_P(StoreContractTest, LimitsSetChangedAndClearedComeBackAsCommitted) {
  const core::LimitRecord emails = TestLimit("emails", "", 1, 10, 100, 0);  // 100/s
  const core::LimitRecord pdf = TestLimit("emails", "pdf", 0, 0, 0, 3);
  const core::LimitRecord other = TestLimit("other", "", 1, 1000, 1, 5);
  core::LimitRecord cleared = other;
  cleared.cleared = true;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    const std::vector<core::LimitRecord> first = {emails, pdf, other};
    ASSERT_TRUE(store->Commit(CommitBatch{.limits = first}).ok());
    // In one batch: changed twice (the last wins), and one cleared.
    core::LimitRecord changed = emails;
    changed.burst = 7;
    const std::vector<core::LimitRecord> second = {emails, changed, cleared};
    ASSERT_TRUE(store->Commit(CommitBatch{.limits = second}).ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<Recovered> recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->limits.size(), 2u);
  core::LimitRecord expected = emails;
  expected.burst = 7;
  EXPECT_EQ(recovered->limits[0], expected);
  EXPECT_EQ(recovered->limits[1], pdf);
}

TEST_P(StoreContractTest, WorkflowsSurviveAReopenUntilRemoved) {
  WorkflowRecord kept;
  kept.set_id(std::string(NextId().Bytes()));
  kept.set_name("nightly");
  kept.set_created_ms(1'700'000'000'000);
  kept.set_submit_token("token");
  WorkflowRecord gone = kept;
  gone.set_id(std::string(NextId().Bytes()));
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    const std::vector<WorkflowRecord> changed = {kept, gone};
    ASSERT_TRUE(store->Commit(CommitBatch{.workflows_changed = changed}).ok());
    // Cancelled and forgotten in later batches.
    WorkflowRecord cancelled = kept;
    cancelled.set_cancelled(true);
    kept = cancelled;
    const std::vector<WorkflowRecord> again = {cancelled};
    const std::vector<JobId> erased = {*JobId::FromBytes(gone.id())};
    ASSERT_TRUE(
        store->Commit(CommitBatch{.workflows_changed = again, .workflows_erased = erased}).ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto recovered = store->Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->workflows.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(recovered->workflows[0], kept));
}

}  // namespace
}  // namespace jobq::broker::store
