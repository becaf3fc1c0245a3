// AdminServer over real gRPC with a BrokerControl that answers only when
// the test says: a handler hands the call to the control and returns, so
// calls the loop has not answered yet hold no gRPC thread, and the answer
// (or error) that comes later finishes the call.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

#include "broker/admin/admin_auth.h"
#include "broker/admin/admin_server.h"
#include "broker/admin/broker_control.h"
#include "broker/admin/status_board.h"
#include "jobq/admin.grpc.pb.h"
#include "tests/support/wait_for.h"

namespace jobq::broker::admin {
namespace {

using testing::WaitFor;

// Keeps every ListQueues reply until Release; the rest is not used here.
class HeldControl final : public BrokerControl {
 public:
  void FetchStatus(Reply<std::shared_ptr<const jobq::admin::GetStatusResponse>> reply) override {
    reply(absl::UnavailableError("no loop here"));
  }
  void Shutdown(bool, Reply<uint32_t> reply) override { reply(Unused()); }
  void ListJobs(const jobq::admin::ListJobsRequest&,
                Reply<jobq::admin::ListJobsResponse> reply) override {
    reply(Unused());
  }
  void GetJob(const jobq::admin::GetJobRequest&, Reply<jobq::admin::JobInfo> reply) override {
    reply(Unused());
  }
  void RetryJobs(const jobq::admin::RetryJobsRequest&,
                 Reply<jobq::admin::RetryJobsResponse> reply) override {
    reply(Unused());
  }
  void ListQueues(const jobq::admin::ListQueuesRequest&,
                  Reply<jobq::admin::ListQueuesResponse> reply) override {
    std::lock_guard lock(mutex_);
    held_.push_back(std::move(reply));
  }
  void ListWorkers(const jobq::admin::ListWorkersRequest&,
                   Reply<jobq::admin::ListWorkersResponse> reply) override {
    reply(Unused());
  }
  void CancelJobs(const jobq::admin::CancelJobsRequest&,
                  Reply<jobq::admin::CancelJobsResponse> reply) override {
    reply(Unused());
  }
  void PurgeQueue(const jobq::admin::PurgeQueueRequest&,
                  Reply<jobq::admin::PurgeQueueResponse> reply) override {
    reply(Unused());
  }
  void PauseQueue(const jobq::admin::PauseQueueRequest&,
                  Reply<jobq::admin::PauseQueueResponse> reply) override {
    reply(Unused());
  }
  void ResumeQueue(const jobq::admin::ResumeQueueRequest&,
                   Reply<jobq::admin::ResumeQueueResponse> reply) override {
    reply(Unused());
  }
  void DrainWorker(const jobq::admin::DrainWorkerRequest&,
                   Reply<jobq::admin::DrainWorkerResponse> reply) override {
    reply(Unused());
  }
  void AddSchedule(const jobq::admin::AddScheduleRequest&,
                   Reply<jobq::admin::ScheduleInfo> reply) override {
    reply(Unused());
  }
  void ListSchedules(const jobq::admin::ListSchedulesRequest&,
                     Reply<jobq::admin::ListSchedulesResponse> reply) override {
    reply(Unused());
  }
  void GetSchedule(const jobq::admin::ScheduleRequest&,
                   Reply<jobq::admin::ScheduleInfo> reply) override {
    reply(Unused());
  }
  void PauseSchedule(const jobq::admin::ScheduleRequest&, bool,
                     Reply<jobq::admin::ScheduleInfo> reply) override {
    reply(Unused());
  }
  void RemoveSchedule(const jobq::admin::ScheduleRequest&,
                      Reply<jobq::admin::RemoveScheduleResponse> reply) override {
    reply(Unused());
  }
  void RunSchedule(const jobq::admin::ScheduleRequest&,
                   Reply<jobq::admin::RunScheduleResponse> reply) override {
    reply(Unused());
  }
  void SetLimit(const jobq::admin::SetLimitRequest&,
                Reply<jobq::admin::SetLimitResponse> reply) override {
    reply(Unused());
  }
  void ClearLimit(const jobq::admin::ClearLimitRequest&,
                  Reply<jobq::admin::ClearLimitResponse> reply) override {
    reply(Unused());
  }
  void ListLimits(const jobq::admin::ListLimitsRequest&,
                  Reply<jobq::admin::ListLimitsResponse> reply) override {
    reply(Unused());
  }
  void GetWorkflow(const jobq::admin::GetWorkflowRequest&,
                   Reply<jobq::admin::WorkflowInfo> reply) override {
    reply(Unused());
  }
  void ListWorkflows(const jobq::admin::ListWorkflowsRequest&,
                     Reply<jobq::admin::ListWorkflowsResponse> reply) override {
    reply(Unused());
  }
  void CancelWorkflow(const jobq::admin::CancelWorkflowRequest&,
                      Reply<jobq::admin::CancelWorkflowResponse> reply) override {
    reply(Unused());
  }

  size_t held() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Answers every held call with `answer`, on this thread (as the loop would on its own).
  void Release(const absl::StatusOr<jobq::admin::ListQueuesResponse>& answer) {
    std::vector<Reply<jobq::admin::ListQueuesResponse>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& reply : held) {
      reply(answer);
    }
  }

 private:
  static absl::Status Unused() { return absl::UnimplementedError("not used by this test"); }

  std::mutex mutex_;
  std::vector<Reply<jobq::admin::ListQueuesResponse>> held_;
};

// One ListQueues call in flight on the callback client API.
struct Call {
  grpc::ClientContext context;
  jobq::admin::ListQueuesRequest request;
  jobq::admin::ListQueuesResponse response;
  std::mutex mutex;
  std::optional<grpc::Status> status;
};

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = std::make_shared<jobq::admin::GetStatusResponse>();
    snapshot->set_store("from the board");
    board_.Publish(std::move(snapshot));
    ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
    stub_ = jobq::admin::Admin::NewStub(
        grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    control_.Release(absl::CancelledError("the test ends"));  // no call left unfinished
    server_.Stop();
  }

  // Starts `count` ListQueues calls without waiting for any.
  std::vector<std::unique_ptr<Call>> StartCalls(int count) {
    std::vector<std::unique_ptr<Call>> calls;
    for (int i = 0; i < count; ++i) {
      auto call = std::make_unique<Call>();
      Call* raw = call.get();
      stub_->async()->ListQueues(&raw->context, &raw->request, &raw->response,
                                 [raw](grpc::Status status) {
                                   std::lock_guard lock(raw->mutex);
                                   raw->status = std::move(status);
                                 });
      calls.push_back(std::move(call));
    }
    return calls;
  }

  static bool AllFinished(const std::vector<std::unique_ptr<Call>>& calls) {
    for (const auto& call : calls) {
      std::lock_guard lock(call->mutex);
      if (!call->status) {
        return false;
      }
    }
    return true;
  }

  StatusBoard board_;
  HeldControl control_;
  AdminAuth auth_;
  AdminServer server_{&board_, &control_, "test", &auth_};
  std::unique_ptr<jobq::admin::Admin::Stub> stub_;
};

TEST_F(AdminServiceTest, CallsWaitingForTheLoopHoldNoGrpcThread) {
  // Far more than gRPC's callback threads: handlers that waited for their
  // answer would leave most of these calls unstarted.
  constexpr int kCalls = 200;
  std::vector<std::unique_ptr<Call>> calls = StartCalls(kCalls);
  ASSERT_TRUE(WaitFor([this] { return control_.held() == kCalls; }))
      << control_.held() << " of " << kCalls << " calls reached the control";

  // The server still answers other calls meanwhile.
  grpc::ClientContext context;
  jobq::admin::GetStatusResponse status;
  ASSERT_TRUE(stub_->GetStatus(&context, {}, &status).ok());
  EXPECT_EQ(status.store(), "from the board");
  EXPECT_EQ(status.version(), "test");

  jobq::admin::ListQueuesResponse answer;
  answer.add_queues()->set_name("emails");
  control_.Release(answer);
  ASSERT_TRUE(WaitFor([&calls] { return AllFinished(calls); }));
  for (const auto& call : calls) {
    ASSERT_TRUE(call->status->ok()) << call->status->error_message();
    ASSERT_EQ(call->response.queues_size(), 1);
    EXPECT_EQ(call->response.queues(0).name(), "emails");
  }
}

TEST_F(AdminServiceTest, AnErrorAnsweredLaterKeepsItsCodeAndMessage) {
  std::vector<std::unique_ptr<Call>> calls = StartCalls(1);
  ASSERT_TRUE(WaitFor([this] { return control_.held() == 1; }));
  control_.Release(absl::NotFoundError("no queue \"x\" here"));
  ASSERT_TRUE(WaitFor([&calls] { return AllFinished(calls); }));
  EXPECT_EQ(calls[0]->status->error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(calls[0]->status->error_message(), "no queue \"x\" here");
}

}  // namespace
}  // namespace jobq::broker::admin
