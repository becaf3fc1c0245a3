// Workflows from the producer's side with the real binaries (issue 18,
// items 1 and 7): `jobq workflow submit` (results passed along a chain,
// --wait exit codes, bad files refused with nothing created), `jobq submit
// --after`, the C++ client's SubmitWorkflow with Chain/Group/Chord, and the
// map-reduce chord of examples/workflows with the example plugin's
// sum_parts. Waits poll with a deadline or block on the CLI; nothing
// asserts on timing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "producer/client/client.h"
#include "producer/client/workflow_builders.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

class WorkflowClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Where the example plugin's `store` writes; the worker inherits it.
    setenv("JOBQ_EXAMPLE_STORE_DIR", cluster_.dir().File("store").c_str(), 1);
    cluster_.StartBroker({"--store", "sqlite:" + cluster_.dir().File("jobq.db")});
    cluster_.StartWorker("w1", {"--plugin", JOBQ_EXAMPLE_PLUGIN, "--cpu-procs", "1"});
    ASSERT_TRUE(cluster_.WaitForWorkers(1));
  }

  std::string WriteFlow(const std::string& name, const std::string& text) {
    const std::string path = cluster_.dir().File(name);
    WriteFile(path, text);
    return path;
  }

  // `jobq workflow submit ARGS --json`'s object; null when it printed none.
  nlohmann::json SubmitJson(std::vector<std::string> args, int expected_exit,
                            const std::string& input = "") {
    args.insert(args.begin(), {"workflow", "submit"});
    args.push_back("--json");
    CommandResult run = cluster_.Jobq(args, input);
    EXPECT_EQ(run.exit_code, expected_exit) << run.out << run.err;
    std::vector<nlohmann::json> lines = JsonLines(run.out);
    return lines.size() == 1 ? lines[0] : nlohmann::json();
  }

  // The --wait --json object's nodes, by name.
  static std::map<std::string, nlohmann::json> NodesByName(const nlohmann::json& flow) {
    std::map<std::string, nlohmann::json> nodes;
    for (const nlohmann::json& node : flow.value("nodes", nlohmann::json::array())) {
      nodes[node.value("name", std::string())] = node;
    }
    return nodes;
  }

  Cluster cluster_;
};

TEST_F(WorkflowClientTest, AChainPassesEachResultToTheNextNode) {
  const std::string file = WriteFlow("chain.json", R"({
    "name": "chain",
    "nodes": [
      {"name": "a", "task": "echo", "args": {"step": 1}},
      {"name": "b", "task": "echo", "args": {"step": 2}, "after": ["a"]},
      {"name": "c", "task": "echo", "args": {"step": 3}, "after": ["b"]}
    ]})");
  nlohmann::json flow = SubmitJson({file, "--wait"}, 0);
  ASSERT_TRUE(flow.is_object());
  EXPECT_EQ(flow["state"], "succeeded");
  EXPECT_EQ(flow["name"], "chain");
  auto nodes = NodesByName(flow);
  ASSERT_EQ(nodes.size(), 3u);
  for (const auto& [name, node] : nodes) {
    EXPECT_EQ(node["state"], "succeeded") << name << ": " << node.dump();
  }
  // echo returns its payload: c saw b's result, which holds a's.
  const nlohmann::json& c = nodes["c"]["result"];
  EXPECT_EQ(c["step"], 3);
  EXPECT_EQ(c["inputs"]["b"]["step"], 2);
  EXPECT_EQ(c["inputs"]["b"]["inputs"]["a"], (nlohmann::json{{"step", 1}}));
  EXPECT_FALSE(nodes["a"]["result"].contains("inputs")) << "a has no parents";

  // The broker knows the nodes by the ids printed.
  CommandResult job = cluster_.Jobq({"job", nodes["c"]["id"].get<std::string>(), "--json"});
  EXPECT_EQ(job.exit_code, 0) << job.err;
  EXPECT_THAT(job.out, HasSubstr("succeeded"));
}

TEST_F(WorkflowClientTest, WaitExitsOneWhenANodeFailsAndItsDescendantsAreCancelled) {
  const std::string file = WriteFlow("fails.json", R"({
    "nodes": [
      {"name": "a", "task": "echo"},
      {"name": "b", "task": "fail", "args": {"message": "boom", "type": "broken"}, "after": ["a"],
       "retries": 0},
      {"name": "c", "task": "echo", "after": ["b"]},
      {"name": "d", "task": "echo", "after": ["b"], "on_parent_failure": "run"}
    ]})");
  nlohmann::json flow = SubmitJson({file, "--wait"}, kExitFailed);
  ASSERT_TRUE(flow.is_object());
  EXPECT_EQ(flow["state"], "failed");
  auto nodes = NodesByName(flow);
  EXPECT_EQ(nodes["a"]["state"], "succeeded");
  EXPECT_EQ(nodes["b"]["state"], "failed") << nodes["b"].dump();
  EXPECT_EQ(nodes["b"]["error"]["type"], "broken");
  EXPECT_EQ(nodes["c"]["state"], "cancelled");
  EXPECT_EQ(nodes["c"]["error"]["type"], "upstream_failed");
  EXPECT_THAT(nodes["c"]["error"]["message"].get<std::string>(), HasSubstr("b"));
  // "run" ran anyway, told why its parent gave nothing.
  EXPECT_EQ(nodes["d"]["state"], "succeeded") << nodes["d"].dump();
  EXPECT_EQ(nodes["d"]["result"]["upstream_errors"]["b"]["type"], "broken");

  // The table says the same, with the same exit code.
  CommandResult table = cluster_.Jobq({"workflow", "submit", file, "--wait"});
  EXPECT_EQ(table.exit_code, kExitFailed) << table.err;
  EXPECT_THAT(table.out, HasSubstr("upstream_failed"));
  EXPECT_THAT(table.out, HasSubstr("failed: 2 of 4 nodes did not succeed"));
}

TEST_F(WorkflowClientTest, WithoutWaitItPrintsTheIdsAndExitsZero) {
  const std::string text =
      R"({"name": "quick", "nodes": [{"name": "x", "task": "noop"}, {"task": "noop"}]})";
  // From stdin, and with --name over the file's.
  nlohmann::json flow = SubmitJson({"-", "--name", "renamed"}, 0, text);
  ASSERT_TRUE(flow.is_object());
  EXPECT_EQ(flow["name"], "renamed");
  ASSERT_EQ(flow["nodes"].size(), 2u);
  EXPECT_EQ(flow["nodes"][0]["name"], "x");
  EXPECT_EQ(flow["nodes"][1]["name"], "noop-1") << "named after its task";
  EXPECT_EQ(flow["id"].get<std::string>().size(), 36u);
  for (const nlohmann::json& node : flow["nodes"]) {
    CommandResult waited = cluster_.Jobq({"wait", node["id"].get<std::string>()});
    EXPECT_EQ(waited.exit_code, 0) << waited.err;
  }
  CommandResult table = cluster_.Jobq({"workflow", "submit", "-"}, text);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("(quick), 2 nodes"));
  EXPECT_THAT(table.out, HasSubstr("noop-1"));
}

TEST_F(WorkflowClientTest, SubmitAfterWaitsForExistingJobs) {
  CommandResult first = cluster_.Jobq({"submit", "echo", "--arg", "n=7"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string parent = JsonLines(first.out).at(0)["id"];
  CommandResult second = cluster_.Jobq({"submit", "echo", "--after", parent, "--wait"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  nlohmann::json outcome = JsonLines(second.out).at(0);
  EXPECT_EQ(outcome["state"], "succeeded");
  EXPECT_EQ(outcome["result"]["inputs"][parent]["n"], 7) << outcome.dump();

  // A parent that fails cancels the child; with run, it runs anyway.
  CommandResult failing = cluster_.Jobq({"submit", "fail", "--retries", "0"});
  ASSERT_EQ(failing.exit_code, 0) << failing.err;
  const std::string failed = JsonLines(failing.out).at(0)["id"];
  CommandResult cancelled = cluster_.Jobq({"submit", "echo", "--after", failed, "--wait"});
  EXPECT_EQ(cancelled.exit_code, kExitFailed);
  EXPECT_THAT(cancelled.out, HasSubstr("upstream_failed"));
  CommandResult ran = cluster_.Jobq(
      {"submit", "echo", "--after", parent + "," + failed, "--on-parent-failure", "run", "--wait"});
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("upstream_errors"));

  // An id the broker does not keep is refused; a malformed one never leaves.
  CommandResult unknown =
      cluster_.Jobq({"submit", "echo", "--after", "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.out, HasSubstr("bad_request"));
  CommandResult malformed = cluster_.Jobq({"submit", "echo", "--after", "nope"});
  EXPECT_EQ(malformed.exit_code, kExitUsage);
  EXPECT_THAT(malformed.err, HasSubstr("--after: malformed job id 'nope'"));
}

TEST_F(WorkflowClientTest, BadFilesAreRefusedAndNothingIsCreated) {
  struct Case {
    std::string text;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"{not json", "invalid JSON"},
      {R"({"nodes": [{"name": "fetch", "args": {}}]})",
       "node \"fetch\" (nodes[0]): missing required field \"task\""},
      {R"({"nodes": [{"name": "a", "task": "echo", "priority": "high"}]})",
       "node \"a\" (nodes[0]): field \"priority\" must be an integer"},
      {R"({"nodes": [{"name": "a", "task": "echo", "colour": 1}]})", "unknown field \"colour\""},
      {R"({"nodes": [{"name": "a", "task": "echo", "after": ["ghost"]}]})",
       "names \"ghost\", which is no node"},
      {R"({"nodes": [{"name": "a", "task": "echo"}, {"name": "a", "task": "echo"}]})",
       "the name is taken"},
  };
  for (const Case& bad : cases) {
    const std::string file = WriteFlow("bad.json", bad.text);
    CommandResult run = cluster_.Jobq({"workflow", "submit", file, "--wait"});
    EXPECT_EQ(run.exit_code, kExitUsage) << bad.text << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr(bad.says)) << bad.text;
    EXPECT_THAT(run.err, HasSubstr("nothing was submitted")) << bad.text;
  }
  CommandResult missing = cluster_.Jobq({"workflow", "submit", cluster_.dir().File("none.json")});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_THAT(missing.err, HasSubstr("cannot open"));
  CommandResult directory = cluster_.Jobq({"workflow", "submit", cluster_.dir().path()});
  EXPECT_EQ(directory.exit_code, kExitUsage);
  EXPECT_THAT(directory.err, HasSubstr("is a directory"));

  // A cycle is the broker's to find: refused whole, naming it.
  const std::string cycle = WriteFlow("cycle.json", R"({"nodes": [
      {"name": "a", "task": "echo"},
      {"name": "b", "task": "echo", "after": ["a", "c"]},
      {"name": "c", "task": "echo", "after": ["b"]}]})");
  CommandResult refused = cluster_.Jobq({"workflow", "submit", cycle, "--wait"});
  EXPECT_EQ(refused.exit_code, kExitFailed) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("refused the workflow"));
  EXPECT_THAT(refused.err, HasSubstr("bad_request"));
  EXPECT_THAT(refused.err, HasSubstr("cycle"));

  EXPECT_TRUE(cluster_.AllJobs().empty()) << "a refused workflow creates no job";
}

TEST_F(WorkflowClientTest, TheExampleChainFetchesChecksumsAndStores) {
  // examples/workflows/chain.json with printf for curl: no network.
  const std::string file = WriteFlow("chain.json", R"({"nodes": [
      {"name": "fetch", "task": "exec", "args": {"argv": ["printf", "hello"]}},
      {"name": "checksum", "task": "checksum", "after": ["fetch"]},
      {"name": "store", "task": "store", "args": {"name": "hello"}, "after": ["checksum"]}]})");
  nlohmann::json flow = SubmitJson({file, "--wait"}, 0);
  ASSERT_TRUE(flow.is_object());
  auto nodes = NodesByName(flow);
  // CRC-32 of "hello", as zlib.crc32 gives it.
  EXPECT_EQ(nodes["checksum"]["result"]["crc32"], "3610a686") << nodes["checksum"].dump();
  EXPECT_EQ(nodes["checksum"]["result"]["bytes"], 5);
  const std::string path = cluster_.dir().File("store") + "/hello.json";
  EXPECT_EQ(nodes["store"]["result"]["path"], path);
  nlohmann::json stored = nlohmann::json::parse(ReadFile(path));
  EXPECT_EQ(stored["checksum"]["crc32"], "3610a686");
}

TEST_F(WorkflowClientTest, TheMapReduceChordAddsEveryChunkExactly) {
  // Σ i² for i < 1,000,000 is 333332833333500000, past 2^53: sum_squares
  // gives it as a string and sum_parts adds the strings exactly.
  std::string text = R"({"name": "squares", "nodes": [)";
  std::string after;
  constexpr int kChunks = 12;
  for (int i = 0; i < kChunks; ++i) {
    const std::string name = "chunk-" + std::to_string(i);
    text += R"({"name": ")" + name + R"(", "task": "sum_squares", "args": {"n": 1000000}},)";
    after += std::string(i == 0 ? "" : ",") + "\"" + name + "\"";
  }
  text += R"({"name": "total", "task": "sum_parts", "after": [)" + after + "]}]}";
  nlohmann::json flow = SubmitJson({WriteFlow("chord.json", text), "--wait"}, 0);
  ASSERT_TRUE(flow.is_object());
  auto nodes = NodesByName(flow);
  ASSERT_EQ(nodes.size(), static_cast<size_t>(kChunks + 1));
  EXPECT_EQ(nodes["total"]["result"]["parts"], kChunks);
  // 12 × 333332833333500000 = 3999994000002000000 (> 2^63 would still be exact).
  EXPECT_EQ(nodes["total"]["result"]["sum"], "3999994000002000000") << nodes["total"].dump();
}

TEST_F(WorkflowClientTest, TheCppClientBuildsAndFollowsAWorkflow) {
  ClientOptions options;
  options.broker_endpoint = cluster_.frontend();
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  auto job = [](const std::string& task, const std::string& payload) {
    wire::JobSpec spec;
    spec.set_task(task);
    spec.set_payload(payload);
    spec.set_content_type("application/json");
    return spec;
  };
  WorkflowSpec spec = Chord(Group(Node("left", job("echo", R"({"side": "l"})")),
                                  Node("right", job("echo", R"({"side": "r"})"))),
                            Chain(Node("join", job("echo", "{}")), job("noop", "{}")))
                          .Build("diamond");
  WorkflowHandle handle = (*client)->SubmitWorkflow(std::move(spec));
  absl::StatusOr<WorkflowAck> ack = handle.future().Ack();
  ASSERT_TRUE(ack.ok()) << ack.status();
  ASSERT_TRUE(ack->accepted()) << ack->error.message();
  EXPECT_EQ(ack->node_ids.size(), 4u);
  EXPECT_EQ(handle.node_names().back(), "noop-1");

  Outcome join = handle.node("join").Get();
  nlohmann::json result = nlohmann::json::parse(join.result);
  EXPECT_EQ(result["inputs"]["left"]["side"], "l");
  EXPECT_EQ(result["inputs"]["right"]["side"], "r");
  absl::StatusOr<WorkflowOutcome> outcome = handle.future().Result();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->succeeded());
  EXPECT_EQ(outcome->id, *ack->id);
  EXPECT_FALSE(handle.node("nonesuch").valid());

  // What the client refuses never reaches the broker.
  WorkflowHandle twice = (*client)->SubmitWorkflow(
      Group(Node("same", job("echo", "{}")), Node("same", job("echo", "{}"))).Build(""));
  EXPECT_EQ(twice.future().Ack().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(twice.nodes()[0].Ack().ok());

  // A plain job with parents: AddParents.
  wire::JobSpec child = job("echo", "{}");
  AddParents(child, {ack->node_ids[0]});
  Outcome after = (*client)->Submit(child).Get();
  EXPECT_EQ(nlohmann::json::parse(after.result)["inputs"][ack->node_ids[0].ToString()]["side"],
            "l");
}

TEST(WorkflowClientRestartTest, TheFuturesOfAWorkflowOutliveAKillNineOfTheBroker) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobq.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  cluster.StartWorker("w1");
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  ClientOptions options;
  options.broker_endpoint = cluster.frontend();
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  auto job = [](const std::string& task, const std::string& payload) {
    wire::JobSpec spec;
    spec.set_task(task);
    spec.set_payload(payload);
    spec.set_content_type("application/json");
    return spec;
  };
  WorkflowHandle handle = (*client)->SubmitWorkflow(
      Chain(Node("nap", job("sleep", R"({"seconds": 1})")), Node("then", job("echo", "{}")))
          .Build("restart"));
  absl::StatusOr<WorkflowAck> ack = handle.future().Ack();
  ASSERT_TRUE(ack.ok()) << ack.status();
  ASSERT_TRUE(ack->accepted()) << ack->error.message();

  // Acknowledged, so durable: the restarted broker has it, and the client
  // registers its wait for every node again on the new connection.
  cluster.KillBroker();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  absl::StatusOr<WorkflowOutcome> outcome = handle.future().Result();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->succeeded()) << cluster.broker().Stderr();
  EXPECT_EQ(outcome->id, *ack->id);
  nlohmann::json then = nlohmann::json::parse(outcome->nodes[1].outcome.result);
  EXPECT_EQ(then["inputs"]["nap"]["slept"], 1) << then.dump();
}

}  // namespace
}  // namespace jobq::testing
