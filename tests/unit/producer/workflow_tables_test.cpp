// What `jobq workflow show|list|cancel` print (workflow_tables.h), `jobq
// job`'s links, and the workflow command's checks made before any
// connection.

#include "producer/cli/workflow_tables.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/job_id.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/cli.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/jobs_table.h"
#include "tests/unit/producer/sample_job_id.h"

namespace jobq::cli {
namespace {

constexpr int64_t kWorkflowNowMs = 1'800'000'000'000;

admin::WorkflowNodeInfo NodeInfo(const std::string& name, wire::JobState state,
                                 std::vector<std::string> after = {}) {
  admin::WorkflowNodeInfo node;
  node.set_name(name);
  node.set_job_id(SampleJobIdBytes());
  node.set_task("noop");
  node.set_queue("default");
  node.set_state(state);
  for (const std::string& parent : after) {
    node.add_after(parent);
  }
  return node;
}

admin::WorkflowInfo SampleWorkflow() {
  admin::WorkflowInfo workflow;
  workflow.set_id(SampleJobIdBytes());
  workflow.set_name("etl");
  workflow.set_state(admin::WORKFLOW_STATE_RUNNING);
  workflow.set_created_ms(kWorkflowNowMs - 65'000);
  workflow.set_node_count(4);
  admin::WorkflowStateCount* done = workflow.add_counts();
  done->set_state(wire::JOB_STATE_SUCCEEDED);
  done->set_nodes(1);
  admin::WorkflowStateCount* running = workflow.add_counts();
  running->set_state(wire::JOB_STATE_RUNNING);
  running->set_nodes(1);
  admin::WorkflowStateCount* blocked = workflow.add_counts();
  blocked->set_state(wire::JOB_STATE_BLOCKED);
  blocked->set_nodes(2);
  return workflow;
}

// A diamond: fetch -> (left, right) -> merge.
std::vector<admin::WorkflowNodeInfo> DiamondNodes() {
  std::vector<admin::WorkflowNodeInfo> nodes = {
      NodeInfo("fetch", wire::JOB_STATE_SUCCEEDED),
      NodeInfo("left", wire::JOB_STATE_RUNNING, {"fetch"}),
      NodeInfo("right", wire::JOB_STATE_BLOCKED, {"fetch"}),
      NodeInfo("merge", wire::JOB_STATE_BLOCKED, {"left", "right"}),
  };
  nodes[0].set_attempts(1);
  nodes[0].set_started_ms(kWorkflowNowMs - 60'000);
  nodes[0].set_finished_ms(kWorkflowNowMs - 59'150);
  nodes[1].set_attempts(2);
  nodes[1].set_started_ms(kWorkflowNowMs - 12'300);
  return nodes;
}

TEST(FormatWorkflowTreeTest, DiamondDrawsSharedChildOnceInFull) {
  EXPECT_EQ(FormatWorkflowTree(DiamondNodes()),
            "fetch  succeeded\n"
            "|- left  running\n"
            "|  `- merge  blocked\n"
            "`- right  blocked\n"
            "   `- merge (above)\n");
}

TEST(FormatWorkflowTreeTest, EveryNodeAppearsForAChainAndSeveralRoots) {
  std::vector<admin::WorkflowNodeInfo> nodes = {
      NodeInfo("a", wire::JOB_STATE_QUEUED), NodeInfo("b", wire::JOB_STATE_BLOCKED, {"a"}),
      NodeInfo("c", wire::JOB_STATE_BLOCKED, {"b"}), NodeInfo("solo", wire::JOB_STATE_QUEUED)};
  EXPECT_EQ(FormatWorkflowTree(nodes),
            "a  queued\n"
            "`- b  blocked\n"
            "   `- c  blocked\n"
            "solo  queued\n");
  EXPECT_EQ(FormatWorkflowTree({}), "");
}

TEST(FormatWorkflowTreeTest, ALongChainNeedsNoRecursion) {
  std::vector<admin::WorkflowNodeInfo> nodes;
  nodes.push_back(NodeInfo("n0", wire::JOB_STATE_QUEUED));
  for (int i = 1; i < 2'000; ++i) {
    nodes.push_back(
        NodeInfo("n" + std::to_string(i), wire::JOB_STATE_BLOCKED, {"n" + std::to_string(i - 1)}));
  }
  const std::string tree = FormatWorkflowTree(nodes);
  EXPECT_NE(tree.find("`- n1999  blocked\n"), std::string::npos);
}

TEST(FormatWorkflowNodesTableTest, StateAttemptsTimingParentsAndError) {
  std::vector<admin::WorkflowNodeInfo> nodes = DiamondNodes();
  nodes[2].set_state(wire::JOB_STATE_CANCELLED);
  nodes[2].mutable_error()->set_type("upstream_failed");
  nodes[2].mutable_error()->set_message("parent fetch failed");
  const std::string table = FormatWorkflowNodesTable(nodes, kWorkflowNowMs);
  const std::string id(kSampleJobId);
  EXPECT_EQ(table, "NODE   STATE      ATTEMPTS  STARTED     DURATION      PARENTS     JOB" +
                       std::string(id.size() - 1, ' ') +
                       "ERROR\n"
                       "fetch  succeeded  1         1m 00s ago  850ms         -           " +
                       id +
                       "  -\n"
                       "left   running    2         12s ago     12.3s so far  fetch       " +
                       id +
                       "  -\n"
                       "right  cancelled  0         -           -             fetch       " +
                       id +
                       "  upstream_failed: parent fetch failed\n"
                       "merge  blocked    0         -           -             left,right  " +
                       id + "  -\n");
}

TEST(FormatWorkflowNodesTableTest, ManyParentsAreCutShort) {
  admin::WorkflowNodeInfo callback = NodeInfo("sum", wire::JOB_STATE_BLOCKED);
  for (int i = 0; i < 10'000; ++i) {
    callback.add_after("part-" + std::to_string(i));
  }
  callback.add_after_jobs(SampleJobIdBytes());
  const std::string table = FormatWorkflowNodesTable({callback}, kWorkflowNowMs);
  EXPECT_NE(table.find("part-0,part-1,part-2 +9998 more"), std::string::npos) << table;
}

TEST(FormatWorkflowNodesTableTest, HundredThousandRows) {
  std::vector<admin::WorkflowNodeInfo> nodes;
  nodes.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) {
    nodes.push_back(NodeInfo("map-" + std::to_string(i), wire::JOB_STATE_QUEUED));
  }
  const std::string table = FormatWorkflowNodesTable(nodes, kWorkflowNowMs);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 100'001);
}

TEST(FormatWorkflowSummaryTest, StateTimesAndCounts) {
  const std::string text = FormatWorkflowSummary(SampleWorkflow(), kWorkflowNowMs);
  EXPECT_NE(text.find("workflow  " + std::string(kSampleJobId)), std::string::npos) << text;
  EXPECT_NE(text.find("name      etl\n"), std::string::npos) << text;
  EXPECT_NE(text.find("state     running\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nodes     4 (succeeded 1, running 1, blocked 2)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("(1m 05s ago)"), std::string::npos) << text;
  EXPECT_EQ(text.find("finished"), std::string::npos) << "still running: " << text;
}

TEST(FormatWorkflowsTableTest, OneRowPerWorkflow) {
  admin::WorkflowInfo done = SampleWorkflow();
  done.set_name("");
  done.set_state(admin::WORKFLOW_STATE_FAILED);
  done.set_finished_ms(kWorkflowNowMs - 5'000);
  const std::string table = FormatWorkflowsTable({SampleWorkflow(), done}, kWorkflowNowMs);
  EXPECT_EQ(table,
            "WORKFLOW                              NAME  STATE    NODES  FINISHED  CREATED     "
            "ENDED\n" +
                std::string(kSampleJobId) + "  etl   running  4      1/4       1m 05s ago  -\n" +
                std::string(kSampleJobId) +
                "  -     failed   4      1/4       1m 05s ago  5s ago\n");
  EXPECT_EQ(FormatWorkflowsTable({}, kWorkflowNowMs), "no workflows\n");
}

TEST(FormatWorkflowJsonTest, WorkflowWithNodesByName) {
  std::vector<admin::WorkflowNodeInfo> nodes = DiamondNodes();
  nodes[3].set_on_parent_failure(wire::PARENT_FAILURE_RUN);
  nodes[3].add_after_jobs(SampleJobIdBytes());
  const nlohmann::json json =
      nlohmann::json::parse(FormatWorkflowJson(SampleWorkflow(), nodes, /*with_nodes=*/true));
  EXPECT_EQ(json["id"], kSampleJobId);
  EXPECT_EQ(json["name"], "etl");
  EXPECT_EQ(json["state"], "running");
  EXPECT_EQ(json["node_count"], 4);
  EXPECT_EQ(json["counts"]["blocked"], 2);
  EXPECT_EQ(json["created_ms"], kWorkflowNowMs - 65'000);
  ASSERT_EQ(json["nodes"].size(), 4u);
  EXPECT_EQ(json["nodes"][0]["name"], "fetch");
  EXPECT_EQ(json["nodes"][0]["state"], "succeeded");
  EXPECT_EQ(json["nodes"][0]["job_id"], kSampleJobId);
  EXPECT_EQ(json["nodes"][1]["attempts"], 2);
  EXPECT_EQ(json["nodes"][3]["after"], (std::vector<std::string>{"left", "right"}));
  EXPECT_EQ(json["nodes"][3]["after_jobs"], (std::vector<std::string>{kSampleJobId}));
  EXPECT_EQ(json["nodes"][3]["on_parent_failure"], "run");
  EXPECT_EQ(json["nodes"][0]["on_parent_failure"], "cancel");
  const nlohmann::json listed =
      nlohmann::json::parse(FormatWorkflowJson(SampleWorkflow(), nodes, /*with_nodes=*/false));
  EXPECT_FALSE(listed.contains("nodes"));
}

TEST(FormatWorkflowCancelTest, LineAndJson) {
  admin::CancelWorkflowResponse response;
  response.set_cancelled(3);
  response.set_cancel_requested(1);
  EXPECT_EQ(FormatWorkflowCancelLine(SampleJobIdBytes(), response),
            "workflow " + std::string(kSampleJobId) +
                ": 3 nodes cancelled, 1 running node told to stop (they end cancelled)");
  EXPECT_EQ(
      FormatWorkflowCancelJson(SampleJobIdBytes(), response),
      "{\"id\":\"" + std::string(kSampleJobId) + "\",\"cancelled\":3,\"cancel_requested\":1}");
}

TEST(FormatNodeDurationTest, MillisecondsSecondsThenMinutes) {
  EXPECT_EQ(FormatNodeDuration(0), "0ms");
  EXPECT_EQ(FormatNodeDuration(999), "999ms");
  EXPECT_EQ(FormatNodeDuration(12'345), "12.3s");
  EXPECT_EQ(FormatNodeDuration(125'000), "2m 05s");
  EXPECT_EQ(FormatNodeDuration(-5), "0ms");
}

admin::JobInfo WorkflowNodeJob() {
  admin::JobInfo job;
  job.set_id(SampleJobIdBytes());
  job.set_queue("default");
  job.set_task("merge");
  job.set_state(wire::JOB_STATE_BLOCKED);
  job.set_workflow_id(SampleJobIdBytes());
  job.set_node_name("merge");
  for (int i = 0; i < 12; ++i) {
    job.add_parents(SampleJobIdBytes());
  }
  job.add_children(SampleJobIdBytes());
  return job;
}

TEST(JobLinksTest, DetailShowsWorkflowNodeParentsAndChildren) {
  const std::string text = FormatJobDetail(WorkflowNodeJob(), kWorkflowNowMs);
  EXPECT_NE(text.find("state              blocked\n"), std::string::npos) << text;
  EXPECT_NE(text.find("workflow           " + std::string(kSampleJobId)), std::string::npos)
      << text;
  EXPECT_NE(text.find("node               merge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("parents            " + std::string(kSampleJobId)), std::string::npos)
      << text;
  EXPECT_NE(text.find("... 2 more (12 in all; --json lists them)"), std::string::npos) << text;
  EXPECT_NE(text.find("on parent failure  cancel"), std::string::npos) << text;
  EXPECT_NE(text.find("children           " + std::string(kSampleJobId)), std::string::npos)
      << text;
}

TEST(JobLinksTest, JsonLineHasThemAllAndPlainJobsNone) {
  const nlohmann::json json = nlohmann::json::parse(FormatJobLine(WorkflowNodeJob()));
  EXPECT_EQ(json["state"], "blocked");
  EXPECT_EQ(json["workflow"], kSampleJobId);
  EXPECT_EQ(json["node"], "merge");
  EXPECT_EQ(json["parents"].size(), 12u);
  EXPECT_EQ(json["on_parent_failure"], "cancel");
  EXPECT_EQ(json["children"], (std::vector<std::string>{kSampleJobId}));

  admin::JobInfo plain;
  plain.set_id(SampleJobIdBytes());
  const nlohmann::json bare = nlohmann::json::parse(FormatJobLine(plain));
  for (const char* key : {"workflow", "node", "parents", "children", "on_parent_failure"}) {
    EXPECT_FALSE(bare.contains(key)) << key;
  }
}

int RunWorkflowJobq(std::vector<std::string> args) {
  args.insert(args.begin(), "jobq");
  args.insert(args.end(), {"--admin", "127.0.0.1:1", "--connect-timeout", "0.2"});
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  return RunCli(static_cast<int>(argv.size()), argv.data());
}

TEST(WorkflowCommandTest, UsageErrorsBeforeConnecting) {
  EXPECT_EQ(RunWorkflowJobq({"workflow"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "show"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "show", "not-an-id"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "cancel", "0190d4c2"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "show", kSampleJobId, "--nodes", "-1"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "show", kSampleJobId, "--nodes-from", "-3"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "list", "--state", "blocked"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "list", "--limit", "0"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "list", "--after", "nope"}), kExitUsage);
  EXPECT_EQ(RunWorkflowJobq({"workflow", "remove", kSampleJobId}), kExitUsage);
}

}  // namespace
}  // namespace jobq::cli
