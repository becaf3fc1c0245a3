// BrokerCore's workflows and jobs with parents (docs/protocol.md,
// "Workflows"): a node runs only after its parents succeeded, with their
// results as inputs; failures reach exactly the descendants; retry revives
// them; cancel, restore, expiry and the refusals of a bad workflow.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker/core/broker_core.h"
#include "tests/support/core_harness.h"

namespace jobq::testing {
namespace {

using broker::core::BrokerCore;
using broker::core::CoreOptions;
using broker::core::Job;
using broker::core::Workflow;

struct NodeSpec {
  NodeSpec(std::string name, std::vector<std::string> after, std::string task = "t",
           std::string payload = "", bool run_on_failure = false)
      : name(std::move(name)),
        after(std::move(after)),
        task(std::move(task)),
        payload(std::move(payload)),
        run_on_failure(run_on_failure) {}

  std::string name;
  std::vector<std::string> after;
  std::string task;
  std::string payload;
  bool run_on_failure;
};

wire::SubmitWorkflow Flow(const std::vector<NodeSpec>& nodes, uint64_t seq = 1) {
  wire::SubmitWorkflow flow;
  flow.set_client_seq(seq);
  flow.set_name("flow");
  for (const NodeSpec& spec : nodes) {
    wire::WorkflowNode& node = *flow.add_nodes();
    node.set_name(spec.name);
    node.mutable_job()->set_task(spec.task);
    node.mutable_job()->set_payload(spec.payload);
    node.mutable_job()->set_max_attempts(1);
    if (spec.run_on_failure) {
      node.mutable_job()->set_on_parent_failure(wire::PARENT_FAILURE_RUN);
    }
    for (const std::string& parent : spec.after) {
      node.add_after(parent);
    }
  }
  return flow;
}

class WorkflowsCoreTest : public ::testing::Test {
 protected:
  explicit WorkflowsCoreTest(CoreOptions options = {}) : harness_(options) {}

  // The answer to the workflow, from the step that took it.
  wire::WorkflowSubmitted Submit(const wire::SubmitWorkflow& flow) {
    harness_.FromClient("c", Command::kSubmitWorkflow, flow);
    for (const auto& out : harness_.effects().outbound) {
      if (out.routing_id == "c" && out.command == Command::kWorkflowSubmitted) {
        return static_cast<const wire::WorkflowSubmitted&>(*out.body);
      }
    }
    ADD_FAILURE() << "no WORKFLOW_SUBMITTED";
    return {};
  }

  // Submits `nodes`, accepted; the node ids by name.
  std::map<std::string, JobId> SubmitAccepted(const std::vector<NodeSpec>& nodes) {
    wire::WorkflowSubmitted answer = Submit(Flow(nodes));
    EXPECT_TRUE(answer.error().type().empty()) << answer.error().message();
    std::map<std::string, JobId> ids;
    for (int i = 0; i < answer.node_ids_size(); ++i) {
      ids[nodes[static_cast<size_t>(i)].name] = *JobId::FromBytes(answer.node_ids(i));
    }
    workflow_ = *JobId::FromBytes(answer.id());
    return ids;
  }

  // Jobs dispatched to "w" by the last Report (its two steps) or the last
  // step, by id.
  std::map<JobId, wire::DispatchedJob> Dispatched() {
    std::map<JobId, wire::DispatchedJob> out = reported_dispatches_;
    for (const wire::DispatchedJob& job : harness_.Dispatched("w")) {
      out[IdOf(job)] = job;
    }
    return out;
  }

  // Reports the job's latest attempt: a success with `result`, or an error.
  void Report(const JobId& id, bool ok, const std::string& result = "1") {
    const Job* job = harness_.core().FindJob(id);
    ASSERT_NE(job, nullptr);
    wire::WorkerResults results;
    wire::JobResult& out = *results.add_results();
    out.set_id(std::string(id.Bytes()));
    out.set_attempt(job->attempt);
    out.set_ok(ok);
    if (ok) {
      out.set_result(result);
    } else {
      out.mutable_error()->set_type("exception");
      out.mutable_error()->set_message("it broke");
    }
    harness_.FromWorker("w", Command::kWorkerResult, results);
    reported_dispatches_.clear();
    for (const wire::DispatchedJob& dispatched : harness_.Dispatched("w")) {
      reported_dispatches_[IdOf(dispatched)] = dispatched;
    }
    harness_.Credit("w", 1);
  }

  // Time passes by `ms` in steps the worker's heartbeats keep it alive through.
  void Pass(TimeMs ms) {
    for (TimeMs passed = 0; passed < ms; passed += 500) {
      harness_.AdvanceMs(std::min<TimeMs>(500, ms - passed));
      harness_.Heartbeat("w", Running());
    }
  }

  std::vector<JobId> Running() {
    broker::core::JobFilter filter;
    filter.state = wire::JOB_STATE_RUNNING;
    filter.limit = 1000;
    std::vector<JobId> ids;
    for (const Job* job : harness_.core().ListJobs(filter).jobs) {
      ids.push_back(job->id);
    }
    return ids;
  }

  wire::JobState StateOf(const JobId& id) { return harness_.core().FindJob(id)->state; }
  const Workflow& TheWorkflow() { return *harness_.core().FindWorkflow(workflow_); }

  CoreHarness harness_;
  JobId workflow_;
  std::map<JobId, wire::DispatchedJob> reported_dispatches_;
};

CoreOptions ShortTtl() {
  CoreOptions options;
  options.result_ttl_ms = 2000;
  options.dead_ttl_ms = 2000;
  return options;
}

class ShortTtlTest : public WorkflowsCoreTest {
 protected:
  ShortTtlTest() : WorkflowsCoreTest(ShortTtl()) {}
};

TEST_F(WorkflowsCoreTest, AChainRunsInOrderAndPassesEachResultToTheNext) {
  auto ids = SubmitAccepted(
      {{"fetch", {}}, {"parse", {"fetch"}, "t", R"({"k": 1})"}, {"store", {"parse"}}});
  EXPECT_EQ(StateOf(ids["parse"]), wire::JOB_STATE_BLOCKED);
  EXPECT_EQ(StateOf(ids["store"]), wire::JOB_STATE_BLOCKED);
  harness_.Hello("w", 10);
  auto dispatched = Dispatched();
  ASSERT_EQ(dispatched.size(), 1u) << "only the root is ready";
  EXPECT_EQ(dispatched.begin()->first, ids["fetch"]);

  Report(ids["fetch"], true, R"({"bytes": 1234})");
  // The result's step released parse (the Credit step dispatched it).
  EXPECT_EQ(StateOf(ids["parse"]), wire::JOB_STATE_RUNNING);
  const Job* parse = harness_.core().FindJob(ids["parse"]);
  EXPECT_EQ(parse->links->inputs, R"({"inputs":{"fetch":{"bytes": 1234}}})");
  dispatched = Dispatched();
  ASSERT_EQ(dispatched.count(ids["parse"]), 1u);
  EXPECT_EQ(dispatched[ids["parse"]].payload(), R"({"k": 1,"inputs":{"fetch":{"bytes": 1234}}})");

  Report(ids["parse"], true, "\"text\"");
  Report(ids["store"], true);
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_SUCCEEDED);
  EXPECT_EQ(harness_.core().counters().released, 2u);
}

TEST_F(WorkflowsCoreTest, ADiamondWaitsForBothBranchesAndGetsBothInputsInItsOrder) {
  auto ids = SubmitAccepted(
      {{"join", {"right", "left"}}, {"root", {}}, {"left", {"root"}}, {"right", {"root"}}});
  harness_.Hello("w", 10);
  Report(ids["root"], true, "0");
  Report(ids["left"], true, "\"L\"");
  EXPECT_EQ(StateOf(ids["join"]), wire::JOB_STATE_BLOCKED) << "right has not finished";
  EXPECT_EQ(harness_.core().FindJob(ids["join"])->links->unresolved, 1u);
  Report(ids["right"], true, "not json");
  EXPECT_EQ(harness_.core().FindJob(ids["join"])->links->inputs,
            R"({"inputs":{"right":"not json","left":"L"}})");
}

TEST_F(WorkflowsCoreTest, AFailedMiddleNodeCancelsExactlyItsDescendants) {
  // root -> mid -> leaf -> deeper; root -> side (unaffected).
  auto ids = SubmitAccepted({{"root", {}},
                             {"mid", {"root"}},
                             {"leaf", {"mid"}},
                             {"deeper", {"leaf"}},
                             {"side", {"root"}}});
  harness_.Hello("w", 10);
  Report(ids["root"], true);
  Report(ids["mid"], false);
  EXPECT_EQ(StateOf(ids["mid"]), wire::JOB_STATE_FAILED);
  for (const char* name : {"leaf", "deeper"}) {
    const Job* job = harness_.core().FindJob(ids[name]);
    EXPECT_EQ(job->state, wire::JOB_STATE_CANCELLED) << name;
    EXPECT_EQ(job->error.type(), "upstream_failed") << name;
    EXPECT_NE(job->error.message().find("\"mid\""), std::string::npos)
        << name << ": " << job->error.message();
  }
  EXPECT_NE(harness_.core().FindJob(ids["deeper"])->error.message().find("via \"leaf\""),
            std::string::npos);
  EXPECT_EQ(StateOf(ids["side"]), wire::JOB_STATE_RUNNING) << "not a descendant of mid";
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_RUNNING);
  Report(ids["side"], true);
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_FAILED);
  EXPECT_EQ(harness_.core().counters().upstream_cancelled, 2u);
}

TEST_F(WorkflowsCoreTest, ANodeThatRunsOnFailureGetsTheUpstreamErrors) {
  auto ids = SubmitAccepted({{"a", {}}, {"b", {}}, {"cleanup", {"a", "b"}, "t", "", true}});
  harness_.Hello("w", 10);
  Report(ids["a"], false);
  EXPECT_EQ(StateOf(ids["cleanup"]), wire::JOB_STATE_BLOCKED);
  Report(ids["b"], true, "2");
  EXPECT_EQ(harness_.core().FindJob(ids["cleanup"])->links->inputs,
            R"({"inputs":{"b":2},"upstream_errors":{"a":{"state":"failed","type":"exception",)"
            R"("message":"it broke"}}})");
}

TEST_F(WorkflowsCoreTest, RetryingTheFailedParentRevivesItsDescendantsAndTheyRun) {
  auto ids = SubmitAccepted({{"root", {}}, {"mid", {"root"}}, {"leaf", {"mid"}}});
  harness_.Hello("w", 10);
  Report(ids["root"], true);
  Report(ids["mid"], false);
  ASSERT_EQ(StateOf(ids["leaf"]), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_FAILED);

  broker::core::Effects effects;
  EXPECT_EQ(harness_.core().RetryJob(ids["leaf"], harness_.clock().NowMs(), &effects),
            broker::core::RetryOutcome::kWaitsForParents)
      << "its parent is still failed";
  EXPECT_EQ(harness_.core().RetryJob(ids["mid"], harness_.clock().NowMs(), &effects),
            broker::core::RetryOutcome::kRetried);
  harness_.core().CheckInvariants();
  EXPECT_EQ(StateOf(ids["leaf"]), wire::JOB_STATE_BLOCKED);
  EXPECT_TRUE(harness_.core().FindJob(ids["leaf"])->error.type().empty());
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_RUNNING);
  harness_.Credit("w", 1);
  Report(ids["mid"], true);
  EXPECT_EQ(StateOf(ids["leaf"]), wire::JOB_STATE_RUNNING);
  Report(ids["leaf"], true);
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_SUCCEEDED);
}

TEST_F(WorkflowsCoreTest, CancellingTheWorkflowCancelsEveryNodeAsTheOperators) {
  auto ids = SubmitAccepted({{"root", {}}, {"a", {"root"}}, {"b", {"a"}}, {"c", {"root"}}});
  harness_.Hello("w", 10);
  ASSERT_EQ(StateOf(ids["root"]), wire::JOB_STATE_RUNNING);
  broker::core::Effects effects;
  auto counts = harness_.core().CancelWorkflow(workflow_, harness_.clock().NowMs(), &effects);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->cancelled, 3u);
  EXPECT_EQ(counts->cancel_requested, 1u);
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_EQ(harness_.core().FindJob(ids[name])->error.type(), "cancelled") << name;
  }
  harness_.core().CheckInvariants();
  Report(ids["root"], false);
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_CANCELLED);
  EXPECT_EQ(
      harness_.core().CancelWorkflow(workflow_, harness_.clock().NowMs(), &effects).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(harness_.core()
                .CancelWorkflow(JobId::FromBytes(std::string(16, 'x')).value(),
                                harness_.clock().NowMs(), &effects)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WorkflowsCoreTest, BadWorkflowsAreRefusedWholeNamingTheNode) {
  struct Case {
    std::vector<NodeSpec> nodes;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{}, "at least one node"},
      {{{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}, {"d", {}}}, "cycle: "},
      {{{"a", {"a"}}}, "node \"a\" waits for itself"},
      {{{"a", {}}, {"b", {"zz"}}}, "node \"b\" waits for \"zz\""},
      {{{"a", {}}, {"a", {}}}, "node \"a\" appears twice"},
      {{{"a", {}}, {"b", {"a", "a"}}}, "names \"a\" twice"},
      {{{"bad name!", {}}}, "letters, digits"},
      {{{"a", {}, ""}}, "node \"a\" has no task"},
      {{{"a", {}}, {"b", {"a"}, "t", "[1, 2]"}}, "must be a JSON object"},
      {{{"a", {}}, {"b", {"a"}, "t", R"({"inputs": 1})"}}, "may not set \"inputs\""},
  };
  for (const Case& test : cases) {
    const size_t jobs_before = harness_.core().job_count();
    wire::WorkflowSubmitted answer = Submit(Flow(test.nodes));
    EXPECT_EQ(answer.error().type(), "bad_request") << test.says;
    EXPECT_NE(answer.error().message().find(test.says), std::string::npos)
        << answer.error().message();
    EXPECT_TRUE(answer.id().empty());
    EXPECT_EQ(harness_.core().job_count(), jobs_before) << "nothing created: " << test.says;
    EXPECT_EQ(harness_.core().workflow_count(), 0u);
  }
  EXPECT_EQ(harness_.core().counters().workflows_rejected, cases.size());
}

TEST_F(WorkflowsCoreTest, ABlockedNodesQueueIsListedFromTheStart) {
  // Found by fuzz_workflow: a queue named only by blocked nodes was not
  // listed until one of them was released.
  wire::SubmitWorkflow flow = Flow({{"a", {}}, {"b", {"a"}}});
  flow.mutable_nodes(1)->mutable_job()->set_queue("later");
  wire::WorkflowSubmitted answer = Submit(flow);  // the harness checks the invariants
  ASSERT_TRUE(answer.error().type().empty()) << answer.error().message();
  ::jobq::admin::ListQueuesResponse queues;
  harness_.core().FillQueues(&queues);
  bool listed = false;
  for (const auto& queue : queues.queues()) {
    listed = listed || queue.name() == "later";
  }
  EXPECT_TRUE(listed);
}

TEST_F(WorkflowsCoreTest, ACycleIsNamedAlongItsEdges) {
  wire::WorkflowSubmitted answer =
      Submit(Flow({{"a", {"c"}}, {"b", {"a"}}, {"c", {"b"}}, {"x", {"c"}}}));
  EXPECT_NE(answer.error().message().find("a -> b -> c -> a"), std::string::npos)
      << answer.error().message();
}

TEST_F(WorkflowsCoreTest, AReSentWorkflowIsAnsweredWithTheFirstsIds) {
  wire::SubmitWorkflow flow = Flow({{"a", {}}, {"b", {"a"}}});
  flow.set_submit_token(std::string(16, 't'));
  wire::WorkflowSubmitted first = Submit(flow);
  wire::WorkflowSubmitted again = Submit(flow);
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(again.node_ids_size(), 2);
  EXPECT_EQ(again.node_ids(1), first.node_ids(1));
  EXPECT_EQ(harness_.core().job_count(), 2u);
}

TEST_F(WorkflowsCoreTest, AWorkflowPastWorkflowMaxIsRefusedNamingTheFlag) {
  CoreOptions options;
  options.workflow_nodes_max = 3;
  CoreHarness small(options);
  small.FromClient("c", Command::kSubmitWorkflow,
                   Flow({{"a", {}}, {"b", {}}, {"c", {}}, {"d", {}}}));
  bool refused = false;
  for (const auto& out : small.effects().outbound) {
    if (out.command == Command::kWorkflowSubmitted) {
      const auto& answer = static_cast<const wire::WorkflowSubmitted&>(*out.body);
      refused = answer.error().message().find("--workflow-max") != std::string::npos;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(small.core().job_count(), 0u);
}

TEST_F(WorkflowsCoreTest, APlainJobWaitsForExistingJobsByIdAndIsKeyedByTheirIds) {
  const JobId parent = harness_.Submit("c", {"t"})[0];
  wire::Submit submit;
  submit.set_first_seq(10);
  wire::JobSpec& child = *submit.add_jobs();
  child.set_task("t");
  child.add_after(std::string(parent.Bytes()));
  harness_.FromClient("c", Command::kSubmit, submit);
  std::vector<wire::SubmitAck> acks = harness_.Acks("c");
  ASSERT_EQ(acks.size(), 1u);
  const JobId child_id = IdOf(acks[0]);
  EXPECT_EQ(StateOf(child_id), wire::JOB_STATE_BLOCKED);
  harness_.Hello("w", 10);
  Report(parent, true, "7");
  EXPECT_EQ(harness_.core().FindJob(child_id)->links->inputs,
            "{\"inputs\":{\"" + parent.ToString() + "\":7}}");

  // A parent the broker does not keep: refused, nothing created.
  wire::Submit orphan;
  orphan.set_first_seq(11);
  orphan.add_jobs()->set_task("t");
  orphan.mutable_jobs(0)->add_after(std::string(16, 'z'));
  const size_t jobs_before = harness_.core().job_count();
  harness_.FromClient("c", Command::kSubmit, orphan);
  acks = harness_.Acks("c");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].error().type(), "bad_request");
  EXPECT_NE(acks[0].error().message().find("does not keep"), std::string::npos);
  EXPECT_EQ(harness_.core().job_count(), jobs_before);
}

TEST_F(WorkflowsCoreTest, AJobAfterAFailedJobIsCancelledAtOnce) {
  const JobId parent = harness_.Submit("c", {"t"})[0];
  harness_.Hello("w", 10);
  Report(parent, false);
  wire::Submit submit;
  submit.set_first_seq(10);
  submit.add_jobs()->set_task("t");
  submit.mutable_jobs(0)->add_after(std::string(parent.Bytes()));
  harness_.FromClient("c", Command::kSubmit, submit);
  const JobId child = IdOf(harness_.Acks("c")[0]);
  EXPECT_EQ(StateOf(child), wire::JOB_STATE_CANCELLED);
  EXPECT_EQ(harness_.core().FindJob(child)->error.type(), "upstream_failed");
}

CoreOptions SmallResults() {
  CoreOptions options;
  options.result_bytes_max = 64;
  return options;
}

class SmallResultsTest : public WorkflowsCoreTest {
 protected:
  SmallResultsTest() : WorkflowsCoreTest(SmallResults()) {}
};

TEST_F(SmallResultsTest, InputsPastResultMaxFailTheNode) {
  auto ids = SubmitAccepted({{"a", {}}, {"b", {}}, {"sum", {"a", "b"}}, {"after", {"sum"}}});
  harness_.Hello("w", 10);
  Report(ids["a"], true, "\"" + std::string(40, 'x') + "\"");
  Report(ids["b"], true, "\"" + std::string(40, 'y') + "\"");
  const Job* sum = harness_.core().FindJob(ids["sum"]);
  EXPECT_EQ(sum->state, wire::JOB_STATE_FAILED);
  EXPECT_EQ(sum->error.type(), "inputs_too_large");
  EXPECT_EQ(StateOf(ids["after"]), wire::JOB_STATE_CANCELLED);
}

TEST_F(WorkflowsCoreTest, ALongChainsFailureSpreadsWithoutRecursion) {
  std::vector<NodeSpec> nodes;
  nodes.push_back({"n0", {}});
  for (int i = 1; i < 20'000; ++i) {
    nodes.push_back({"n" + std::to_string(i), {"n" + std::to_string(i - 1)}});
  }
  auto ids = SubmitAccepted(nodes);
  harness_.Hello("w", 10);
  Report(ids["n0"], false);
  EXPECT_EQ(StateOf(ids["n19999"]), wire::JOB_STATE_CANCELLED);
  // The last node's message names the first failure and the last hop
  // only: a path of 20,000 would make the messages quadratic in total.
  const std::string& message = harness_.core().FindJob(ids["n19999"])->error.message();
  EXPECT_NE(message.find("\"n0\""), std::string::npos) << message;
  EXPECT_NE(message.find("via \"n19998\""), std::string::npos) << message;
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_EQ(TheWorkflow().State(), ::jobq::admin::WORKFLOW_STATE_FAILED);
}

TEST_F(ShortTtlTest, NodesExpireTogetherWithTheirWorkflow) {
  auto ids = SubmitAccepted({{"a", {}}, {"b", {"a"}}, {"c", {}, "slow"}});
  harness_.Hello("w", 10);
  Report(ids["a"], true);
  Report(ids["b"], true);
  Pass(3000);
  EXPECT_NE(harness_.core().FindJob(ids["a"]), nullptr)
      << "a's TTL passed, but its workflow has not finished";
  Report(ids["c"], true);
  Pass(1000);
  EXPECT_NE(harness_.core().FindWorkflow(workflow_), nullptr);
  harness_.AdvanceMs(1500);
  EXPECT_EQ(harness_.core().FindWorkflow(workflow_), nullptr);
  EXPECT_EQ(harness_.core().FindJob(ids["a"]), nullptr);
  EXPECT_EQ(harness_.core().FindJob(ids["b"]), nullptr);
  EXPECT_EQ(harness_.effects().erased_workflows.size(), 1u);
  EXPECT_EQ(harness_.effects().erased_jobs.size(), 3u);
}

TEST_F(ShortTtlTest, AFinishedParentIsKeptWhileAJobWaitsForIt) {
  const JobId parent = harness_.Submit("c", {"t"})[0];
  const JobId other = harness_.Submit("c", {"slow"})[0];
  wire::Submit submit;
  submit.set_first_seq(10);
  submit.add_jobs()->set_task("t");
  submit.mutable_jobs(0)->add_after(std::string(parent.Bytes()));
  submit.mutable_jobs(0)->add_after(std::string(other.Bytes()));
  harness_.FromClient("c", Command::kSubmit, submit);
  const JobId child = IdOf(harness_.Acks("c")[0]);
  harness_.Hello("w", 10);
  Report(parent, true, "5");
  Pass(3000);
  ASSERT_NE(harness_.core().FindJob(parent), nullptr) << "kept for its blocked child";
  Report(other, true, "6");
  EXPECT_EQ(harness_.core().FindJob(child)->links->inputs,
            "{\"inputs\":{\"" + parent.ToString() + "\":5,\"" + other.ToString() + "\":6}}");
  harness_.AdvanceMs(1);
  EXPECT_EQ(harness_.core().FindJob(parent), nullptr) << "forgotten once released";
}

// What a store holds of a core: its jobs and workflow records.
struct Stored {
  std::vector<Job> jobs;
  std::vector<::jobq::store::WorkflowRecord> workflows;
};

TEST_F(WorkflowsCoreTest, ARestoredBrokerKeepsBlockedNodesAndReleasesThemOnce) {
  auto ids = SubmitAccepted({{"a", {}}, {"b", {}}, {"join", {"a", "b"}}});
  harness_.Hello("w", 10);
  Report(ids["a"], true, "1");
  Stored stored;
  for (const auto& [name, id] : ids) {
    stored.jobs.push_back(*harness_.core().FindJob(id));
  }
  stored.workflows.push_back(*harness_.core().FindWorkflowRecord(workflow_));

  CoreHarness after;
  after.core().RestoreWorkflows(stored.workflows);
  after.core().Restore(stored.jobs, {}, after.clock().NowMs());
  after.AdvanceMs(0);
  after.core().CheckInvariants();
  EXPECT_EQ(after.core().FindJob(ids["join"])->state, wire::JOB_STATE_BLOCKED);
  EXPECT_EQ(after.core().FindJob(ids["join"])->links->unresolved, 1u);
  const Workflow* workflow = after.core().FindWorkflow(workflow_);
  ASSERT_NE(workflow, nullptr);
  EXPECT_EQ(workflow->nodes.size(), 3u);
  EXPECT_EQ(workflow->State(), ::jobq::admin::WORKFLOW_STATE_RUNNING);
}

}  // namespace
}  // namespace jobq::testing
