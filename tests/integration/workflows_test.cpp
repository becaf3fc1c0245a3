// Workflows end to end (issue 18): the real broker (SQLite store), a real
// worker, workflows sent as a client written from docs/protocol.md sends
// them (WORKFLOW over a DEALER socket: workflow_wire.h), and jobs read back with the jobq
// CLI. A failing middle node cancels exactly its descendants; a chord of
// 10,000 survives kill -9 of the broker and runs its callback once, with
// every input.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/support/cluster.h"
#include "tests/support/wait_for.h"
#include "tests/support/workflow_wire.h"

namespace jobq::testing {
namespace {

using Json = nlohmann::json;

wire::WorkflowNode& AddNode(wire::SubmitWorkflow& flow, const std::string& name,
                            const std::string& task, const Json& args,
                            const std::vector<std::string>& after = {}) {
  wire::WorkflowNode& node = *flow.add_nodes();
  node.set_name(name);
  node.mutable_job()->set_task(task);
  node.mutable_job()->set_payload(args.dump());
  for (const std::string& parent : after) {
    node.add_after(parent);
  }
  return node;
}

std::string IdText(const std::string& raw) { return JobId::FromBytes(raw)->ToString(); }

class WorkflowsTest : public ::testing::Test {
 protected:
  // `jobq job ID --json`, parsed; null when it failed.
  Json JobJson(const std::string& raw_id) {
    CommandResult run = cluster_.Jobq({"job", IdText(raw_id), "--json"});
    if (run.exit_code != 0) {
      return Json();
    }
    return Json::parse(run.out, nullptr, false);
  }

  bool Finished(const std::string& raw_id) {
    const Json job = JobJson(raw_id);
    if (!job.is_object()) {
      return false;
    }
    const std::string state = job.value("state", "");
    return state == "succeeded" || state == "failed" || state == "dead" || state == "cancelled";
  }

  Cluster cluster_;
};

TEST_F(WorkflowsTest, AFailingMiddleNodeCancelsExactlyItsDescendants) {
  cluster_.StartBroker();
  cluster_.StartWorker("w1");
  // root -> mid (fails) -> leaf -> last;  root -> side -> side_leaf.
  wire::SubmitWorkflow flow;
  flow.set_client_seq(1);
  flow.set_name("three-levels");
  flow.set_submit_token(std::string(16, 'a'));
  AddNode(flow, "root", "echo", {{"step", "root"}});
  AddNode(flow, "mid", "fail", {{"message", "mid broke"}}, {"root"});
  AddNode(flow, "leaf", "echo", Json::object(), {"mid"});
  AddNode(flow, "last", "echo", Json::object(), {"leaf"});
  AddNode(flow, "side", "echo", {{"step", "side"}}, {"root"});
  AddNode(flow, "side_leaf", "echo", Json::object(), {"side"});
  std::optional<wire::WorkflowSubmitted> answer = SendWorkflow(cluster_.frontend(), flow);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->error().type().empty()) << answer->error().message();
  ASSERT_EQ(answer->node_ids_size(), 6);
  std::map<std::string, std::string> ids;
  for (int i = 0; i < flow.nodes_size(); ++i) {
    ids[flow.nodes(i).name()] = answer->node_ids(i);
  }
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  for (const auto& node : ids) {
    ASSERT_TRUE(WaitFor([&] { return Finished(node.second); }, std::chrono::seconds(60)))
        << node.first;
  }

  EXPECT_EQ(JobJson(ids["root"])["state"], "succeeded");
  EXPECT_EQ(JobJson(ids["mid"])["state"], "failed");
  for (const char* name : {"leaf", "last"}) {
    const Json job = JobJson(ids[name]);
    EXPECT_EQ(job["state"], "cancelled") << name;
    EXPECT_EQ(job["error"]["type"], "upstream_failed") << name;
    EXPECT_NE(job["error"]["message"].get<std::string>().find("\"mid\""), std::string::npos)
        << job.dump();
    EXPECT_EQ(job["attempts"], 0) << name << " never ran";
  }
  // The other branch ran, each node with its parent's result as input.
  const Json side_leaf = JobJson(ids["side_leaf"]);
  EXPECT_EQ(side_leaf["state"], "succeeded");
  EXPECT_EQ(side_leaf["result"]["inputs"]["side"]["step"], "side") << side_leaf.dump();
  EXPECT_EQ(side_leaf["result"]["inputs"]["side"]["inputs"]["root"]["step"], "root");

  // The same workflow again (its token): the first one's ids, nothing new.
  std::optional<wire::WorkflowSubmitted> again = SendWorkflow(cluster_.frontend(), flow);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->id(), answer->id());
}

TEST_F(WorkflowsTest, ABadWorkflowIsRefusedNamingTheNodeAndCreatesNothing) {
  cluster_.StartBroker();
  wire::SubmitWorkflow flow;
  flow.set_client_seq(7);
  AddNode(flow, "a", "echo", Json::object(), {"c"});
  AddNode(flow, "b", "echo", Json::object(), {"a"});
  AddNode(flow, "c", "echo", Json::object(), {"b"});
  std::optional<wire::WorkflowSubmitted> answer = SendWorkflow(cluster_.frontend(), flow);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->client_seq(), 7u);
  EXPECT_EQ(answer->error().type(), "bad_request");
  EXPECT_NE(answer->error().message().find("cycle"), std::string::npos)
      << answer->error().message();
  EXPECT_TRUE(answer->id().empty());
  EXPECT_TRUE(cluster_.AllJobs().empty());
}

TEST_F(WorkflowsTest, AChordOf10000SurvivesKillNineAndRunsItsCallbackOnceWithEveryInput) {
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster_.StartBroker({}, frontend_port, backend_port);
  cluster_.StartWorker("w1", {"--io-threads", "16"});
  constexpr int kChunks = 10'000;
  wire::SubmitWorkflow flow;
  flow.set_client_seq(1);
  flow.set_name("chord");
  flow.set_submit_token(std::string(16, 'c'));
  std::vector<std::string> chunks;
  for (int i = 0; i < kChunks; ++i) {
    chunks.push_back("part-" + std::to_string(i));
    AddNode(flow, chunks.back(), "noop", Json());
  }
  AddNode(flow, "sum", "echo", Json::object(), chunks);
  std::optional<wire::WorkflowSubmitted> answer = SendWorkflow(cluster_.frontend(), flow);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->error().type().empty()) << answer->error().message();
  const std::string callback = answer->node_ids(kChunks);

  // Kill -9 once part of the header has run.
  ASSERT_TRUE(WaitFor([&] { return StatusCounter(cluster_.Status(), "succeeded") >= kChunks / 5; },
                      std::chrono::seconds(120)));
  cluster_.KillBroker();
  cluster_.StartBroker({}, frontend_port, backend_port);

  ASSERT_TRUE(WaitFor([&] { return Finished(callback); }, std::chrono::seconds(300)));
  const Json sum = JobJson(callback);
  EXPECT_EQ(sum["state"], "succeeded") << sum.dump().substr(0, 2000);
  EXPECT_EQ(sum["attempts"], 1) << "released once, run once";
  ASSERT_TRUE(sum["result"]["inputs"].is_object());
  EXPECT_EQ(sum["result"]["inputs"].size(), static_cast<size_t>(kChunks));
  EXPECT_TRUE(sum["result"]["inputs"].contains("part-0"));
  EXPECT_TRUE(sum["result"]["inputs"].contains("part-9999"));

  // The re-sent workflow (a client reconnecting after the crash) is the
  // same one.
  std::optional<wire::WorkflowSubmitted> duplicate = SendWorkflow(cluster_.frontend(), flow);
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_TRUE(duplicate->duplicate());
  EXPECT_EQ(duplicate->id(), answer->id());
}

}  // namespace
}  // namespace jobq::testing
