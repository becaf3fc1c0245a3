// ClientSession and workflows, alone: no socket, no thread. The test plays
// the broker (WORKFLOW_SUBMITTED and RESULT in, the WORKFLOW messages the
// session sent read from a recording sink), the socket monitor and the I/O
// loop's turns, on a ManualClock.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "common/wake_fd.h"
#include "jobq/wire.pb.h"
#include "producer/client/client.h"
#include "producer/client/internal/client_session.h"
#include "producer/client/internal/message_sink.h"
#include "producer/client/internal/shared_state.h"
#include "tests/unit/producer/client_session_fixture.h"

namespace jobq::client_internal::session_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A WORKFLOW as sent: its seq, token and node names.
struct WorkflowShape {
  uint64_t client_seq = 0;
  std::string token;
  std::vector<std::string> nodes;
  bool notify = false;

  friend bool operator==(const WorkflowShape&, const WorkflowShape&) = default;
  friend std::ostream& operator<<(std::ostream& out, const WorkflowShape& shape) {
    out << "{seq " << shape.client_seq << ", " << shape.nodes.size() << " nodes, notify "
        << shape.notify << "}";
    return out;
  }
};

std::vector<WorkflowShape> Workflows(const std::vector<SentMessage>& messages) {
  std::vector<WorkflowShape> shapes;
  for (const SentMessage& message : messages) {
    EXPECT_EQ(message.command, Command::kSubmitWorkflow) << CommandName(message.command);
    wire::SubmitWorkflow workflow;
    EXPECT_TRUE(workflow.ParseFromString(message.body));
    WorkflowShape& shape = shapes.emplace_back();
    shape.client_seq = workflow.client_seq();
    shape.token = workflow.submit_token();
    shape.notify = workflow.notify();
    for (const wire::WorkflowNode& node : workflow.nodes()) {
      shape.nodes.push_back(node.name());
    }
  }
  return shapes;
}

class ClientSessionWorkflowTest : public ClientSessionFixture {
 protected:
  ClientSessionWorkflowTest() {
    ClientOptions options;
    options.connect_timeout_ms = 1000;
    MakeSession(options);
  }

  // What Client::SubmitWorkflow queues, then the I/O thread's take of it.
  std::shared_ptr<WorkflowState> SubmitWorkflow(const std::vector<std::string>& names,
                                                bool notify = true) {
    std::vector<std::shared_ptr<FutureState>> nodes;
    auto message = std::make_unique<wire::SubmitWorkflow>();
    message->set_name("flow");
    message->set_notify(notify);
    for (size_t i = 0; i < names.size(); ++i) {
      nodes.push_back(std::make_shared<FutureState>(notify, i, nullptr));
      wire::WorkflowNode* node = message->add_nodes();
      node->set_name(names[i]);
      node->mutable_job()->set_task("echo");
    }
    auto state = std::make_shared<WorkflowState>(notify, names, std::move(nodes), names.size());
    {
      std::lock_guard lock(shared_->mutex);
      shared_->window_used += names.size();
      OutItem item;
      item.type = OutItem::Type::kWorkflow;
      item.workflow_message = std::move(message);
      item.workflow = state;
      shared_->outbox.push_back(std::move(item));
    }
    EXPECT_TRUE(session_->TakeRequests());
    return state;
  }

  // The broker's answer accepting workflow `seq` with `nodes` nodes.
  void Accept(uint64_t seq, size_t nodes, bool duplicate = false) {
    wire::WorkflowSubmitted answer;
    answer.set_client_seq(seq);
    answer.set_id(std::string(IdFor('w', seq).Bytes()));
    for (size_t i = 0; i < nodes; ++i) {
      answer.add_node_ids(std::string(IdFor('n', 10 * seq + i).Bytes()));
    }
    answer.set_duplicate(duplicate);
    Deliver(Command::kWorkflowSubmitted, answer);
  }

  void Finish(const JobId& id, wire::JobState state) {
    wire::ClientResults results;
    wire::JobOutcome* outcome = results.add_outcomes();
    outcome->set_id(std::string(id.Bytes()));
    outcome->set_state(state);
    outcome->set_attempts(1);
    Deliver(Command::kClientResult, results);
  }
};

TEST_F(ClientSessionWorkflowTest, AnAcceptedWorkflowGivesEachNodeItsIdAndEndsWhenAllHaveFinished) {
  std::shared_ptr<WorkflowState> flow = SubmitWorkflow({"a", "b"});
  session_->OnConnected(clock_.NowMs());
  Turn();
  EXPECT_THAT(Workflows(sink_.Take()),
              ElementsAre(WorkflowShape{1, TokenFor(1), {"a", "b"}, true}));
  EXPECT_FALSE(flow->AckReady());

  Accept(1, 2);
  ASSERT_TRUE(flow->answered);
  EXPECT_EQ(flow->id, IdFor('w', 1));
  ASSERT_TRUE(flow->nodes[1]->ack.has_value());
  EXPECT_EQ(flow->nodes[1]->ack->id, IdFor('n', 11));
  EXPECT_EQ(shared_->window_used, 0u);
  EXPECT_FALSE(flow->Done()) << "no node has finished";

  Finish(IdFor('n', 10), wire::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(flow->nodes[0]->Done());
  EXPECT_FALSE(flow->Done());
  Finish(IdFor('n', 11), wire::JOB_STATE_CANCELLED);
  EXPECT_TRUE(flow->Done());
  EXPECT_EQ(flow->nodes[1]->outcome->state, wire::JOB_STATE_CANCELLED);
  // Pushed outcomes need no WAIT.
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty());
}

TEST_F(ClientSessionWorkflowTest, ARefusedWorkflowRejectsEveryNodeWithTheBrokersReason) {
  std::shared_ptr<WorkflowState> flow = SubmitWorkflow({"a", "b"});
  session_->OnConnected(clock_.NowMs());
  Turn();
  sink_.Take();
  wire::WorkflowSubmitted answer;
  answer.set_client_seq(1);
  answer.mutable_error()->set_type("bad_request");
  answer.mutable_error()->set_message("cycle: a -> b -> a");
  Deliver(Command::kWorkflowSubmitted, answer);

  ASSERT_TRUE(flow->Done());
  EXPECT_FALSE(flow->id.has_value());
  EXPECT_EQ(flow->error.type(), "bad_request");
  for (const auto& node : flow->nodes) {
    ASSERT_TRUE(node->ack.has_value());
    EXPECT_FALSE(node->ack->accepted());
    EXPECT_EQ(node->ack->error.message(), "cycle: a -> b -> a");
  }
  EXPECT_TRUE(shared_->failure.ok()) << "a refusal is the workflow's, not the client's";
  EXPECT_EQ(shared_->window_used, 0u);
}

TEST_F(ClientSessionWorkflowTest, AnAnswerWithTheWrongNumberOfNodeIdsIsARefusalNotACrash) {
  std::shared_ptr<WorkflowState> flow = SubmitWorkflow({"a", "b", "c"});
  session_->OnConnected(clock_.NowMs());
  Turn();
  Accept(1, 2);
  ASSERT_TRUE(flow->Done());
  EXPECT_FALSE(flow->id.has_value());
  EXPECT_EQ(flow->error.type(), "bad_response");
}

TEST_F(ClientSessionWorkflowTest, AReconnectResendsAnUnansweredWorkflowWithItsSeqAndToken) {
  std::shared_ptr<WorkflowState> first = SubmitWorkflow({"a"});
  session_->OnConnected(clock_.NowMs());
  Turn();
  EXPECT_THAT(Workflows(sink_.Take()), ElementsAre(WorkflowShape{1, TokenFor(1), {"a"}, true}));

  session_->OnDisconnected();
  std::shared_ptr<WorkflowState> second = SubmitWorkflow({"b", "c"});
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "sent while disconnected";
  clock_.AdvanceMs(100);
  session_->OnConnected(clock_.NowMs());
  Turn();
  // The re-send first, unchanged, then the newer one.
  EXPECT_THAT(Workflows(sink_.Take()),
              ElementsAre(WorkflowShape{1, TokenFor(1), {"a"}, true},
                          WorkflowShape{2, TokenFor(2), {"b", "c"}, true}));

  // The broker had kept the first: it answers with its ids, as a
  // duplicate, and the client asks for the outcomes it may have missed.
  Accept(1, 1, /*duplicate=*/true);
  ASSERT_TRUE(first->answered);
  EXPECT_TRUE(first->duplicate);
  EXPECT_EQ(first->nodes[0]->ack->id, IdFor('n', 10));
  Turn();
  std::vector<SentMessage> sent = sink_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command, Command::kWait);
  wire::Wait wait;
  ASSERT_TRUE(wait.ParseFromString(sent[0].body));
  EXPECT_THAT(wait.ids(), ElementsAre(std::string(IdFor('n', 10).Bytes())));

  // A second answer to the first (its first send's, late) changes nothing.
  Accept(1, 1);
  Accept(2, 2);
  EXPECT_TRUE(second->answered);
  EXPECT_EQ(shared_->window_used, 0u);
  EXPECT_TRUE(shared_->failure.ok()) << shared_->failure;
}

TEST_F(ClientSessionWorkflowTest, AWorkflowTheSinkRefusedGoesOnTheNextConnection) {
  std::shared_ptr<WorkflowState> flow = SubmitWorkflow({"a"});
  session_->OnConnected(clock_.NowMs());
  sink_.RefuseNext();
  Turn();
  EXPECT_THAT(sink_.Take(), IsEmpty());
  session_->OnDisconnected();
  session_->OnConnected(clock_.NowMs());
  Turn();
  EXPECT_THAT(Workflows(sink_.Take()), ElementsAre(WorkflowShape{1, TokenFor(1), {"a"}, true}));
}

TEST_F(ClientSessionWorkflowTest, AWorkflowLeftUnansweredFailsWithTheConnectTimeout) {
  std::shared_ptr<WorkflowState> flow = SubmitWorkflow({"a", "b"});
  session_->OnConnected(clock_.NowMs());
  Turn();
  Deliver(Command::kSubmitted, wire::Submitted());  // the broker is there
  EXPECT_EQ(session_->NextDeadline(), clock_.NowMs() + 1000);
  clock_.AdvanceMs(999);
  Turn();
  EXPECT_FALSE(flow->Done());
  clock_.AdvanceMs(1);
  Turn();
  ASSERT_TRUE(flow->Done());
  EXPECT_FALSE(flow->answered);
  EXPECT_EQ(flow->failure.code(), absl::StatusCode::kUnavailable) << flow->failure;
  EXPECT_THAT(std::string(flow->failure.message()),
              ::testing::HasSubstr("1 workflow was not answered"));
  for (const auto& node : flow->nodes) {
    EXPECT_EQ(node->failure, flow->failure);
  }
}

TEST_F(ClientSessionWorkflowTest, ASentinelAfterAWorkflowGoesAfterIt) {
  std::shared_ptr<WorkflowState> flow = SubmitWorkflow({"a"}, /*notify=*/false);
  auto sentinel = std::make_shared<FutureState>(false, 0, nullptr);
  {
    std::lock_guard lock(shared_->mutex);
    OutItem item;
    item.type = OutItem::Type::kSentinel;
    item.queue = "default";
    item.state = sentinel;
    shared_->outbox.push_back(std::move(item));
  }
  ASSERT_TRUE(session_->TakeRequests());
  session_->OnConnected(clock_.NowMs());
  Turn();
  std::vector<SentMessage> sent = sink_.Take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].command, Command::kSubmitWorkflow);
  EXPECT_EQ(sent[1].command, Command::kSentinel);
  Accept(1, 1);
  EXPECT_TRUE(flow->Done()) << "without notify, done once answered";
}

}  // namespace
}  // namespace jobq::client_internal::session_test
