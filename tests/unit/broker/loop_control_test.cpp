// LoopControl on a running BrokerLoop: admin calls are tasks on the loop,
// a command is answered only once its change is committed, and a call made
// after the loop stopped is answered at once. A real loop, real sockets on
// loopback and a store whose commits the test holds back.

#include "broker/control/loop_control.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "broker/core/broker_core.h"
#include "broker/net/broker_loop.h"
#include "broker/store/memory_store.h"
#include "common/clock.h"
#include "tests/support/wait_for.h"

namespace jobq::broker {
namespace {

using testing::IsReadyBy;
using testing::WaitFor;

// A durable store (so the loop commits on its writer thread) whose commits
// wait until the test opens the gate, and then succeed or fail as told.
class GatedStore final : public store::Store {
 public:
  std::string Describe() const override { return "gated"; }
  bool durable() const override { return true; }
  absl::Status Commit(const store::CommitBatch& batch) override {
    std::unique_lock lock(mutex_);
    ++commits_started_;
    wake_.notify_all();
    wake_.wait(lock, [this] { return open_; });
    return fail_ ? absl::DataLossError("the disk is gone") : absl::OkStatus();
  }
  absl::StatusOr<store::Recovered> Recover() override { return store::Recovered{}; }

  void Open(bool fail) {
    std::lock_guard lock(mutex_);
    open_ = true;
    fail_ = fail;
    wake_.notify_all();
  }
  int commits_started() {
    std::lock_guard lock(mutex_);
    return commits_started_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool open_ = false;
  bool fail_ = false;
  int commits_started_ = 0;
};

core::Job QueuedJob(const JobId& id, TimeMs now_ms) {
  core::Job job;
  job.id = id;
  job.spec.set_queue("default");
  job.spec.set_task("sleep");
  job.spec.set_max_attempts(1);
  job.state = wire::JOB_STATE_QUEUED;
  job.submitted_ms = now_ms;
  return job;
}

class LoopControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core_.Restore({QueuedJob(id_, clock_.NowMs())}, {}, clock_.NowMs());
    net::LoopOptions options;
    options.frontend_endpoint = "tcp://127.0.0.1:*";
    options.backend_endpoint = "tcp://127.0.0.1:*";
    loop_ = std::make_unique<net::BrokerLoop>(options, &core_, &store_, &clock_, nullptr);
    ASSERT_TRUE(loop_->Bind().ok());
    runner_ = std::thread([this] { ran_ = loop_->Run(); });
  }

  void TearDown() override {
    store_.Open(/*fail=*/false);  // a commit still held must not keep Run from returning
    StopLoop();
  }

  void StopLoop() {
    if (runner_.joinable()) {
      loop_->RequestStop();
      runner_.join();
    }
  }

  ::jobq::admin::CancelJobsRequest CancelRequest() const {
    ::jobq::admin::CancelJobsRequest request;
    request.add_ids(std::string(id_.Bytes()));
    return request;
  }

  RealClock clock_;
  core::BrokerCore core_{core::CoreOptions{}};
  GatedStore store_;
  const JobId id_ = JobId::Parse("0190f3a8-6b2c-7d4e-8f00-0123456789ab").value();
  std::unique_ptr<net::BrokerLoop> loop_;
  std::thread runner_;
  absl::Status ran_;
};

TEST_F(LoopControlTest, ACancelIsAnsweredOnlyOnceItIsCommitted) {
  control::LoopControl control(loop_.get());
  std::promise<absl::StatusOr<::jobq::admin::CancelJobsResponse>> answered;
  std::future<absl::StatusOr<::jobq::admin::CancelJobsResponse>> answer = answered.get_future();
  control.CancelJobs(CancelRequest(),
                     [&answered](auto response) { answered.set_value(std::move(response)); });
  // The cancel reached the store; its answer waits behind the commit.
  ASSERT_TRUE(WaitFor([this] { return store_.commits_started() == 1; }));
  EXPECT_NE(answer.wait_for(std::chrono::seconds(0)), std::future_status::ready)
      << "the cancel was answered before the store committed it";
  store_.Open(/*fail=*/false);
  ASSERT_TRUE(IsReadyBy(answer));
  absl::StatusOr<::jobq::admin::CancelJobsResponse> response = answer.get();
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->results_size(), 1);
  EXPECT_EQ(response->results(0).outcome(), ::jobq::admin::CancelJobResult::OUTCOME_CANCELLED);
}

TEST_F(LoopControlTest, AFailedCommitAnswersInternalAndStopsTheBroker) {
  control::LoopControl control(loop_.get());
  std::promise<absl::StatusOr<::jobq::admin::CancelJobsResponse>> answered;
  std::future<absl::StatusOr<::jobq::admin::CancelJobsResponse>> answer = answered.get_future();
  control.CancelJobs(CancelRequest(),
                     [&answered](auto response) { answered.set_value(std::move(response)); });
  ASSERT_TRUE(WaitFor([this] { return store_.commits_started() == 1; }));
  store_.Open(/*fail=*/true);
  ASSERT_TRUE(IsReadyBy(answer));
  absl::StatusOr<::jobq::admin::CancelJobsResponse> response = answer.get();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(response.status().message().find("the disk is gone"), std::string::npos);
  EXPECT_NE(response.status().message().find("the cancels may not have taken effect"),
            std::string::npos)
      << response.status();
  // The loop stops on its own: a broker whose store fails must exit.
  runner_.join();
  EXPECT_EQ(ran_.code(), absl::StatusCode::kInternal) << ran_;
}

TEST_F(LoopControlTest, QueriesAreAnsweredFromTheLoopAndUnavailableOnceItStopped) {
  control::LoopControl control(loop_.get());
  std::promise<absl::StatusOr<::jobq::admin::ListQueuesResponse>> listed;
  std::future<absl::StatusOr<::jobq::admin::ListQueuesResponse>> queues = listed.get_future();
  control.ListQueues({}, [&listed](auto response) { listed.set_value(std::move(response)); });
  ASSERT_TRUE(IsReadyBy(queues));
  absl::StatusOr<::jobq::admin::ListQueuesResponse> before = queues.get();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->queues_size(), 1);
  EXPECT_EQ(before->queues(0).name(), "default");

  StopLoop();
  // Answered on this thread, before the call returns: nothing waits for a
  // loop that is gone.
  std::optional<absl::StatusOr<::jobq::admin::ListQueuesResponse>> after;
  control.ListQueues({}, [&after](auto response) { after = std::move(response); });
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(after->status().message().find("stopping"), std::string::npos) << after->status();
}

}  // namespace
}  // namespace jobq::broker
