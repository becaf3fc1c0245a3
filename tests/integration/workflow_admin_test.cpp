// The workflow admin path with the real binaries (issue 18, item 4): a
// workflow submitted over the wire (SUBMIT_WORKFLOW from a raw DEALER, as
// a client library sends it), then `jobq workflow show|list|cancel`, `jobq
// job` of a node, `jobq jobs --state blocked`, bad input, and a read-only
// token refused on CancelWorkflow. Waits poll with a deadline.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
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

using ::testing::HasSubstr;

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAuth = 3;

struct Node {
  std::string name;
  std::string task;
  std::string payload;
  std::vector<std::string> after;
};

// Sends one SUBMIT_WORKFLOW (workflow_wire.h) and expects it taken.
wire::WorkflowSubmitted SubmitWorkflow(const std::string& frontend, const std::string& name,
                                       const std::vector<Node>& nodes) {
  wire::SubmitWorkflow request;
  request.set_client_seq(7);
  request.set_name(name);
  for (const Node& node : nodes) {
    wire::WorkflowNode& added = *request.add_nodes();
    added.set_name(node.name);
    added.mutable_job()->set_task(node.task);
    added.mutable_job()->set_payload(node.payload);
    for (const std::string& parent : node.after) {
      added.add_after(parent);
    }
  }
  std::optional<wire::WorkflowSubmitted> sent = SendWorkflow(frontend, request);
  EXPECT_TRUE(sent.has_value()) << "no WORKFLOW_SUBMITTED";
  wire::WorkflowSubmitted answer = sent.value_or(wire::WorkflowSubmitted());
  EXPECT_FALSE(answer.has_error()) << answer.error().message();
  EXPECT_EQ(answer.node_ids_size(), static_cast<int>(nodes.size()));
  return answer;
}

// The one JSON object a command printed; null when it failed.
nlohmann::json OneJson(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  std::vector<nlohmann::json> lines = JsonLines(result.out);
  EXPECT_EQ(lines.size(), 1u) << result.out;
  return lines.size() == 1 && lines[0].is_object() ? lines[0] : nlohmann::json::object();
}

nlohmann::json Show(Cluster& cluster, const std::string& id) {
  return OneJson(cluster.Jobq({"workflow", "show", id, "--json"}));
}

std::string NodeState(const nlohmann::json& workflow, const std::string& name) {
  for (const nlohmann::json& node : workflow.value("nodes", nlohmann::json::array())) {
    if (node.value("name", "") == name) {
      return node.value("state", "");
    }
  }
  return "";
}

// fetch -> (left, right) -> merge, all noop: it runs to the end.
std::vector<Node> Diamond() {
  return {{"fetch", "noop", "", {}},
          {"left", "noop", "", {"fetch"}},
          {"right", "noop", "", {"fetch"}},
          {"merge", "noop", "", {"left", "right"}}};
}

// A long sleep with a child blocked behind it, for as long as the test
// wants (cancel stops the sleep).
std::vector<Node> Stuck() {
  return {{"wait", "sleep", R"({"seconds": 120})", {}}, {"after", "noop", "", {"wait"}}};
}

TEST(WorkflowAdminTest, ShowListJobAndCancel) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w");
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  const wire::WorkflowSubmitted diamond = SubmitWorkflow(cluster.frontend(), "etl", Diamond());
  const std::string diamond_id = JobIdText(diamond.id());
  ASSERT_TRUE(WaitFor([&] { return Show(cluster, diamond_id).value("state", "") == "succeeded"; }))
      << Show(cluster, diamond_id).dump();
  nlohmann::json shown = Show(cluster, diamond_id);
  EXPECT_EQ(shown["name"], "etl");
  EXPECT_EQ(shown["node_count"], 4);
  EXPECT_EQ(shown["counts"]["succeeded"], 4);
  EXPECT_GT(shown.value("finished_ms", int64_t{0}), 0);
  ASSERT_EQ(shown["nodes"].size(), 4u);
  EXPECT_EQ(shown["nodes"][3]["name"], "merge");
  EXPECT_EQ(shown["nodes"][3]["after"], (std::vector<std::string>{"left", "right"}));
  EXPECT_EQ(shown["nodes"][3]["job_id"], JobIdText(diamond.node_ids(3)));
  for (const nlohmann::json& node : shown["nodes"]) {
    EXPECT_EQ(node["attempts"], 1) << node.dump();
    EXPECT_GE(node.value("finished_ms", int64_t{0}), node.value("started_ms", int64_t{1}))
        << node.dump();
  }

  // Paging: two nodes from the second.
  CommandResult page =
      cluster.Jobq({"workflow", "show", diamond_id, "--json", "--nodes-from", "1", "--nodes", "2"});
  nlohmann::json paged = OneJson(page);
  ASSERT_EQ(paged["nodes"].size(), 2u) << page.out;
  EXPECT_EQ(paged["nodes"][0]["name"], "left");
  EXPECT_EQ(paged["nodes"][1]["name"], "right");

  // The text form: the table and, for so small a DAG, the tree.
  CommandResult text = cluster.Jobq({"workflow", "show", diamond_id});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("state     succeeded"));
  EXPECT_THAT(text.out, HasSubstr("NODE   STATE      ATTEMPTS"));
  EXPECT_THAT(text.out, HasSubstr("fetch  succeeded\n|- left  succeeded\n"));

  // jobq job of a node: its workflow, name, parents and children.
  nlohmann::json left = OneJson(cluster.Jobq({"job", JobIdText(diamond.node_ids(1)), "--json"}));
  EXPECT_EQ(left["workflow"], diamond_id);
  EXPECT_EQ(left["node"], "left");
  EXPECT_EQ(left["parents"], (std::vector<std::string>{JobIdText(diamond.node_ids(0))}));
  EXPECT_EQ(left["children"], (std::vector<std::string>{JobIdText(diamond.node_ids(3))}));
  EXPECT_EQ(left["on_parent_failure"], "cancel");
  CommandResult left_text = cluster.Jobq({"job", JobIdText(diamond.node_ids(1))});
  EXPECT_THAT(left_text.out, HasSubstr("node               left\n"));

  // A workflow that stays running: its child is blocked meanwhile.
  const wire::WorkflowSubmitted stuck = SubmitWorkflow(cluster.frontend(), "stuck", Stuck());
  const std::string stuck_id = JobIdText(stuck.id());
  ASSERT_TRUE(WaitFor([&] { return NodeState(Show(cluster, stuck_id), "wait") == "running"; }));
  std::vector<nlohmann::json> blocked = cluster.AllJobs("blocked");
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0]["id"], JobIdText(stuck.node_ids(1)));
  EXPECT_EQ(blocked[0]["node"], "after");

  // list: by state, and as a table.
  auto listed_ids = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"workflow", "list", "--json"});
    CommandResult listed = cluster.Jobq(args);
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::vector<std::string> ids;
    for (const nlohmann::json& line : JsonLines(listed.out)) {
      EXPECT_FALSE(line.contains("nodes"));
      ids.push_back(line.value("id", ""));
    }
    return ids;
  };
  EXPECT_EQ(listed_ids({}), (std::vector<std::string>{diamond_id, stuck_id}));
  EXPECT_EQ(listed_ids({"--state", "running"}), (std::vector<std::string>{stuck_id}));
  EXPECT_EQ(listed_ids({"--state", "succeeded"}), (std::vector<std::string>{diamond_id}));
  EXPECT_EQ(listed_ids({"--limit", "1"}), (std::vector<std::string>{diamond_id}));
  EXPECT_EQ(listed_ids({"--after", diamond_id}), (std::vector<std::string>{stuck_id}));
  CommandResult table = cluster.Jobq({"workflow", "list"});
  EXPECT_THAT(table.out, HasSubstr(stuck_id + "  stuck  running"));

  // jobq status counts them.
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json status = cluster.Status();
    const nlohmann::json workflows = status.is_object()
                                         ? status.value("workflows", nlohmann::json::object())
                                         : nlohmann::json::object();
    return workflows.value("running", "") == "1" && workflows.value("succeeded", "") == "1";
  })) << cluster.Status().dump();
  CommandResult status_text = cluster.Jobq({"status"});
  EXPECT_THAT(status_text.out, HasSubstr("workflows   running 1, succeeded 1"));

  // cancel: the blocked child at once, the running sleep by its worker.
  nlohmann::json cancelled = OneJson(cluster.Jobq({"workflow", "cancel", stuck_id, "--json"}));
  EXPECT_EQ(cancelled["id"], stuck_id);
  EXPECT_EQ(cancelled["cancelled"], 1);
  EXPECT_EQ(cancelled["cancel_requested"], 1);
  ASSERT_TRUE(WaitFor([&] { return Show(cluster, stuck_id).value("state", "") == "cancelled"; }))
      << Show(cluster, stuck_id).dump();
  EXPECT_EQ(NodeState(Show(cluster, stuck_id), "after"), "cancelled");
  EXPECT_EQ(listed_ids({"--state", "cancelled"}), (std::vector<std::string>{stuck_id}));

  // Nothing left to cancel: refused, exit 1.
  CommandResult again = cluster.Jobq({"workflow", "cancel", stuck_id});
  EXPECT_EQ(again.exit_code, kExitRefused) << again.out << again.err;
  EXPECT_THAT(again.err, HasSubstr("has finished"));
}

TEST(WorkflowAdminTest, BadInputIsRefusedWithTheReason) {
  Cluster cluster;
  cluster.StartBroker();
  const std::string unknown = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";

  CommandResult show = cluster.Jobq({"workflow", "show", unknown});
  EXPECT_EQ(show.exit_code, kExitRefused) << show.err;
  EXPECT_THAT(show.err, HasSubstr("no workflow " + unknown));
  CommandResult cancel = cluster.Jobq({"workflow", "cancel", unknown});
  EXPECT_EQ(cancel.exit_code, kExitRefused) << cancel.err;
  EXPECT_THAT(cancel.err, HasSubstr("no workflow " + unknown));

  CommandResult malformed = cluster.Jobq({"workflow", "show", "0190d4c2-nope"});
  EXPECT_EQ(malformed.exit_code, kExitUsage);
  EXPECT_THAT(malformed.err, HasSubstr("malformed workflow id '0190d4c2-nope'"));
  CommandResult state = cluster.Jobq({"workflow", "list", "--state", "done"});
  EXPECT_EQ(state.exit_code, kExitUsage);
  EXPECT_THAT(state.err,
              HasSubstr("unknown workflow state \"done\"; valid states: running, succeeded, "
                        "failed, cancelled"));
  CommandResult nodes = cluster.Jobq({"workflow", "show", unknown, "--nodes", "-1"});
  EXPECT_EQ(nodes.exit_code, kExitUsage);
  EXPECT_THAT(nodes.err, HasSubstr("--nodes must be 0 or more"));
  CommandResult job_state = cluster.Jobq({"jobs", "--state", "stuck"});
  EXPECT_EQ(job_state.exit_code, kExitUsage);
  EXPECT_THAT(job_state.err, HasSubstr("valid states: blocked, scheduled"));

  CommandResult empty = cluster.Jobq({"workflow", "list"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "no workflows\n");
  EXPECT_TRUE(cluster.broker().Running());
}

TEST(WorkflowAdminTest, ReadOnlyTokenMayLookButNotCancel) {
  Cluster cluster;
  const std::string read_token = "read-0a1b2c3d4e5f60718293";
  const std::string admin_token = "admin-9f8e7d6c5b4a39281706";
  std::ofstream(cluster.dir().File("admin.tokens"))
      << "read " << read_token << "\nadmin " << admin_token << "\n";
  std::ofstream(cluster.dir().File("read.token")) << read_token << "\n";
  std::ofstream(cluster.dir().File("admin.token")) << admin_token << "\n";
  cluster.StartBroker({"--admin-tokens", cluster.dir().File("admin.tokens")});
  // No worker: the node stays queued.
  const wire::WorkflowSubmitted submitted =
      SubmitWorkflow(cluster.frontend(), "guarded", {{"only", "noop", "", {}}});
  const std::string id = JobIdText(submitted.id());
  const std::vector<std::string> read = {"--token-file", cluster.dir().File("read.token")};
  const std::vector<std::string> admin = {"--token-file", cluster.dir().File("admin.token")};
  auto with = [](std::vector<std::string> args, const std::vector<std::string>& token) {
    args.insert(args.end(), token.begin(), token.end());
    return args;
  };

  CommandResult shown = cluster.Jobq(with({"workflow", "show", id, "--json"}, read));
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  CommandResult listed = cluster.Jobq(with({"workflow", "list", "--json"}, read));
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  CommandResult refused = cluster.Jobq(with({"workflow", "cancel", id}, read));
  EXPECT_EQ(refused.exit_code, kExitAuth) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("CancelWorkflow needs an admin token"));
  CommandResult none = cluster.Jobq({"workflow", "cancel", id});
  EXPECT_EQ(none.exit_code, kExitAuth) << none.err;

  nlohmann::json still = OneJson(cluster.Jobq(with({"workflow", "show", id, "--json"}, read)));
  EXPECT_EQ(still["state"], "running") << "the refused cancels changed nothing";
  CommandResult cancelled = cluster.Jobq(with({"workflow", "cancel", id, "--json"}, admin));
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
  nlohmann::json after = OneJson(cluster.Jobq(with({"workflow", "show", id, "--json"}, read)));
  EXPECT_EQ(after["state"], "cancelled");
}

}  // namespace
}  // namespace jobq::testing
