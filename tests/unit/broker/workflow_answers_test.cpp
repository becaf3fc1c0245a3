// The workflow admin answers (broker/control/workflow_answers.h) and the
// links GetJob shows, on a BrokerCore that took workflows through
// OnClientMessage (SUBMIT_WORKFLOW) as the loop hands them over; and the
// checks the gRPC side makes of those requests (workflow_requests.h).

#include "broker/control/workflow_answers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/admin/workflow_requests.h"
#include "broker/control/admin_answers.h"
#include "tests/support/core_harness.h"

namespace jobq::broker::control {
namespace {

using ::jobq::testing::CoreHarness;
using ::testing::HasSubstr;

struct Node {
  std::string name;
  std::vector<std::string> after;
};

// The WORKFLOW_SUBMITTED the last step sent `client`.
wire::WorkflowSubmitted SubmittedTo(CoreHarness& harness, const std::string& client) {
  for (const core::Outbound& out : harness.effects().outbound) {
    if (out.routing_id == client && out.command == Command::kWorkflowSubmitted) {
      return static_cast<const wire::WorkflowSubmitted&>(*out.body);
    }
  }
  ADD_FAILURE() << "no WORKFLOW_SUBMITTED to " << client;
  return {};
}

// Submits a workflow of noop nodes; returns the answer.
wire::WorkflowSubmitted SubmitWorkflow(CoreHarness& harness, const std::string& name,
                                       const std::vector<Node>& nodes) {
  wire::SubmitWorkflow request;
  request.set_client_seq(1);
  request.set_name(name);
  for (const Node& node : nodes) {
    wire::WorkflowNode& added = *request.add_nodes();
    added.set_name(node.name);
    added.mutable_job()->set_task("noop");
    for (const std::string& parent : node.after) {
      added.add_after(parent);
    }
  }
  harness.FromClient("c", Command::kSubmitWorkflow, request);
  wire::WorkflowSubmitted submitted = SubmittedTo(harness, "c");
  EXPECT_FALSE(submitted.has_error()) << submitted.error().message();
  return submitted;
}

std::vector<Node> Diamond() {
  return {{"fetch", {}}, {"left", {"fetch"}}, {"right", {"fetch"}}, {"merge", {"left", "right"}}};
}

std::vector<std::string> NodeNames(const ::jobq::admin::WorkflowInfo& info) {
  std::vector<std::string> names;
  for (const auto& node : info.nodes()) {
    names.push_back(node.name());
  }
  return names;
}

::jobq::admin::GetWorkflowRequest Get(const std::string& id, uint32_t offset = 0,
                                      uint32_t limit = 0) {
  ::jobq::admin::GetWorkflowRequest request;
  request.set_id(id);
  request.set_node_offset(offset);
  request.set_node_limit(limit);
  return request;
}

TEST(WorkflowAnswersTest, GetWorkflowShowsNodesAPageAtATime) {
  CoreHarness harness;
  const wire::WorkflowSubmitted submitted = SubmitWorkflow(harness, "diamond", Diamond());
  ASSERT_EQ(submitted.node_ids_size(), 4);

  absl::StatusOr<::jobq::admin::WorkflowInfo> info =
      AnswerGetWorkflow(harness.core(), Get(submitted.id()));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name(), "diamond");
  EXPECT_EQ(info->state(), ::jobq::admin::WORKFLOW_STATE_RUNNING);
  EXPECT_EQ(info->node_count(), 4u);
  EXPECT_EQ(NodeNames(*info), (std::vector<std::string>{"fetch", "left", "right", "merge"}))
      << "node_limit 0 is the default page, 1,000";
  EXPECT_EQ(info->nodes(0).state(), wire::JOB_STATE_QUEUED);
  EXPECT_EQ(info->nodes(3).state(), wire::JOB_STATE_BLOCKED);
  EXPECT_THAT(info->nodes(3).after(), ::testing::ElementsAre("left", "right"));
  EXPECT_EQ(info->nodes(3).job_id(), submitted.node_ids(3));

  info = AnswerGetWorkflow(harness.core(), Get(submitted.id(), 1, 2));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(NodeNames(*info), (std::vector<std::string>{"left", "right"}));
  info = AnswerGetWorkflow(harness.core(), Get(submitted.id(), 4, 10));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->nodes_size(), 0) << "past the last node: the workflow alone";
  EXPECT_EQ(info->node_count(), 4u);
}

TEST(WorkflowAnswersTest, GetWorkflowRefusesUnknownAndMalformedIds) {
  CoreHarness harness;
  SubmitWorkflow(harness, "one", {{"only", {}}});
  const std::string unknown(16, '\x07');
  absl::StatusOr<::jobq::admin::WorkflowInfo> info =
      AnswerGetWorkflow(harness.core(), Get(unknown));
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(info.status().message()), HasSubstr("jobq workflow list"));
  EXPECT_EQ(AnswerGetWorkflow(harness.core(), Get("short")).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A node's job id is not its workflow's.
  const wire::WorkflowSubmitted other = SubmitWorkflow(harness, "two", {{"only", {}}});
  EXPECT_EQ(AnswerGetWorkflow(harness.core(), Get(other.node_ids(0))).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(WorkflowAnswersTest, ListWorkflowsByStateAndByPage) {
  CoreHarness harness;
  harness.Hello("w", 4);
  const wire::WorkflowSubmitted done = SubmitWorkflow(harness, "done", {{"only", {}}});
  std::vector<wire::DispatchedJob> dispatched = harness.Dispatched("w");
  ASSERT_EQ(dispatched.size(), 1u);
  harness.Result("w", ::jobq::testing::IdOf(dispatched[0]), dispatched[0].attempt(), true);
  const wire::WorkflowSubmitted first = SubmitWorkflow(harness, "a", Diamond());
  const wire::WorkflowSubmitted second = SubmitWorkflow(harness, "b", Diamond());

  auto list = [&](const std::string& state, uint32_t limit = 0, const std::string& after = "") {
    ::jobq::admin::ListWorkflowsRequest request;
    request.set_state_name(state);
    request.set_limit(limit);
    request.set_page_after(after);
    return AnswerListWorkflows(harness.core(), request);
  };
  auto ids = [](const ::jobq::admin::ListWorkflowsResponse& response) {
    std::vector<std::string> listed;
    for (const auto& workflow : response.workflows()) {
      EXPECT_EQ(workflow.nodes_size(), 0) << "listed without their nodes";
      listed.push_back(workflow.id());
    }
    return listed;
  };
  absl::StatusOr<::jobq::admin::ListWorkflowsResponse> all = list("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(ids(*all), (std::vector<std::string>{done.id(), first.id(), second.id()}));
  EXPECT_TRUE(all->next_page_after().empty());
  EXPECT_EQ(all->workflows(0).state(), ::jobq::admin::WORKFLOW_STATE_SUCCEEDED);

  absl::StatusOr<::jobq::admin::ListWorkflowsResponse> succeeded = list("succeeded");
  ASSERT_TRUE(succeeded.ok());
  EXPECT_EQ(ids(*succeeded), (std::vector<std::string>{done.id()}));
  absl::StatusOr<::jobq::admin::ListWorkflowsResponse> running = list("running");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(ids(*running), (std::vector<std::string>{first.id(), second.id()}));

  absl::StatusOr<::jobq::admin::ListWorkflowsResponse> page = list("", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids(*page), (std::vector<std::string>{done.id(), first.id()}));
  ASSERT_FALSE(page->next_page_after().empty());
  page = list("", 2, page->next_page_after());
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids(*page), (std::vector<std::string>{second.id()}));
  EXPECT_TRUE(page->next_page_after().empty());

  absl::StatusOr<::jobq::admin::ListWorkflowsResponse> bad = list("blocked");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("valid states: running, succeeded, failed, cancelled"));
}

TEST(WorkflowAnswersTest, CancelWorkflowCancelsWhatIsLeftThenRefuses) {
  CoreHarness harness;
  harness.Hello("w", 4);
  const wire::WorkflowSubmitted submitted = SubmitWorkflow(harness, "diamond", Diamond());
  ASSERT_EQ(harness.Dispatched("w").size(), 1u) << "fetch runs";

  ::jobq::admin::CancelWorkflowRequest request;
  request.set_id(submitted.id());
  harness.effects().Clear();
  absl::StatusOr<::jobq::admin::CancelWorkflowResponse> cancelled =
      AnswerCancelWorkflow(harness.core(), request, harness.clock().NowMs(), &harness.effects());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->cancelled(), 3u) << "left, right and merge were blocked";
  EXPECT_EQ(cancelled->cancel_requested(), 1u) << "fetch was running";
  EXPECT_TRUE(harness.effects().has_store_writes()) << "the answer waits for this commit";
  harness.core().CheckInvariants();
  for (int i = 1; i < 4; ++i) {
    const core::Job* job = harness.core().FindJob(*JobId::FromBytes(submitted.node_ids(i)));
    ASSERT_NE(job, nullptr);
    EXPECT_EQ(job->state, wire::JOB_STATE_CANCELLED) << job->links->node;
  }

  // fetch ends cancelled when its worker says so; then nothing is left.
  harness.Result("w", JobId(*JobId::FromBytes(submitted.node_ids(0))), 1, false, "cancelled");
  absl::StatusOr<::jobq::admin::WorkflowInfo> info =
      AnswerGetWorkflow(harness.core(), Get(submitted.id()));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state(), ::jobq::admin::WORKFLOW_STATE_CANCELLED);
  harness.effects().Clear();
  absl::StatusOr<::jobq::admin::CancelWorkflowResponse> again =
      AnswerCancelWorkflow(harness.core(), request, harness.clock().NowMs(), &harness.effects());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);

  request.set_id(std::string(16, '\x09'));
  EXPECT_EQ(
      AnswerCancelWorkflow(harness.core(), request, harness.clock().NowMs(), &harness.effects())
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  request.set_id("xyz");
  EXPECT_EQ(
      AnswerCancelWorkflow(harness.core(), request, harness.clock().NowMs(), &harness.effects())
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(WorkflowAnswersTest, GetJobShowsWorkflowNodeParentsAndChildren) {
  CoreHarness harness;
  const wire::WorkflowSubmitted submitted = SubmitWorkflow(harness, "diamond", Diamond());
  ::jobq::admin::GetJobRequest request;
  request.set_id(submitted.node_ids(1));  // left: after fetch, before merge
  absl::StatusOr<::jobq::admin::JobInfo> left = AnswerGetJob(harness.core(), request);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->state(), wire::JOB_STATE_BLOCKED);
  EXPECT_EQ(left->workflow_id(), submitted.id());
  EXPECT_EQ(left->node_name(), "left");
  EXPECT_THAT(left->parents(), ::testing::ElementsAre(submitted.node_ids(0)));
  EXPECT_THAT(left->children(), ::testing::ElementsAre(submitted.node_ids(3)));
  EXPECT_EQ(left->on_parent_failure(), wire::PARENT_FAILURE_CANCEL);

  ::jobq::admin::ListJobsRequest blocked;
  blocked.set_state(wire::JOB_STATE_BLOCKED);
  absl::StatusOr<::jobq::admin::ListJobsResponse> listed = AnswerListJobs(harness.core(), blocked);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->jobs_size(), 3) << "left, right, merge";
  EXPECT_EQ(listed->jobs(2).node_name(), "merge");
  EXPECT_EQ(listed->jobs(2).parents_size(), 2);
}

TEST(WorkflowAnswersTest, StatusCountsWorkflowsByState) {
  CoreHarness harness;
  SubmitWorkflow(harness, "a", Diamond());
  SubmitWorkflow(harness, "b", {{"only", {}}});
  wire::SubmitWorkflow cyclic;
  cyclic.set_client_seq(2);
  for (const char* name : {"x", "y"}) {
    wire::WorkflowNode& node = *cyclic.add_nodes();
    node.set_name(name);
    node.mutable_job()->set_task("noop");
    node.add_after(std::string(name) == "x" ? "y" : "x");
  }
  harness.FromClient("c", Command::kSubmitWorkflow, cyclic);
  EXPECT_TRUE(SubmittedTo(harness, "c").has_error()) << "a cycle is refused";
  ::jobq::admin::GetStatusResponse status;
  harness.core().FillStatus(harness.clock().NowMs(), &status);
  EXPECT_EQ(status.workflows().running(), 2u);
  EXPECT_EQ(status.workflows().succeeded(), 0u);
  EXPECT_EQ(status.counters().workflows_submitted(), 2u);
  EXPECT_EQ(status.counters().workflows_rejected(), 1u);
}

TEST(WorkflowRequestsTest, IdsStatesAndLimitsAreCheckedAndBounded) {
  const std::string text = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";
  ::jobq::admin::GetWorkflowRequest get;
  get.set_id(text);
  get.set_node_limit(50'000);
  ASSERT_TRUE(admin::NormalizeGetWorkflow(&get).ok());
  EXPECT_EQ(get.id(), std::string(JobId::Parse(text)->Bytes()));
  EXPECT_EQ(get.node_limit(), admin::kMaxWorkflowNodeLimit);
  get.set_node_limit(0);
  ASSERT_TRUE(admin::NormalizeGetWorkflow(&get).ok());
  EXPECT_EQ(get.node_limit(), admin::kDefaultWorkflowNodeLimit);
  get.set_id("0190d4c2");
  absl::Status bad = admin::NormalizeGetWorkflow(&get);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("not a workflow id"));
  get.set_id("");
  EXPECT_EQ(admin::NormalizeGetWorkflow(&get).code(), absl::StatusCode::kInvalidArgument);

  ::jobq::admin::ListWorkflowsRequest list;
  list.set_state_name("Failed");
  list.set_limit(20'000);
  ASSERT_TRUE(admin::NormalizeListWorkflows(&list).ok());
  EXPECT_EQ(list.state_name(), "failed");
  EXPECT_EQ(list.limit(), admin::kMaxWorkflowListLimit);
  list.set_state_name("dead");
  bad = admin::NormalizeListWorkflows(&list);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("\"dead\"; valid states: running"));
  list.set_state_name("");
  list.set_page_after("garbage");
  EXPECT_EQ(admin::NormalizeListWorkflows(&list).code(), absl::StatusCode::kInvalidArgument);

  ::jobq::admin::CancelWorkflowRequest cancel;
  EXPECT_EQ(admin::NormalizeCancelWorkflow(&cancel).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jobq::broker::control
