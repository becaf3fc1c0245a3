#include "tests/sim/workflows/workflow_sim.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/sim/sim_env.h"

namespace jobq::testing {
namespace {

using broker::core::Job;
using broker::core::Outbound;
using broker::net::OwnedBatch;

broker::core::CoreOptions Options() {
  broker::core::CoreOptions options;
  options.result_ttl_ms = TimeMs{1} << 40;  // every job stays to be checked
  options.dead_ttl_ms = TimeMs{1} << 40;
  return options;
}

std::string Describe(const Job& job) {
  std::string text = " [state " + wire::JobState_Name(job.state) + ", error " + job.error.type() +
                     " " + job.error.message() + ", attempt " + std::to_string(job.attempt) +
                     ", inputs " + (job.links ? job.links->inputs : std::string("-")) + "]";
  return text;
}

bool Succeeded(const Job* job) { return job != nullptr && job->state == wire::JOB_STATE_SUCCEEDED; }

}  // namespace

WorkflowSim::WorkflowSim(uint64_t seed)
    : seed_(seed),
      rng_(seed),
      process_("workflow-sim", seed, &rng_, &clock_, Options(), /*worker_capacity=*/4,
               {.on_sent = [this](const Outbound& out) { OnSent(out); },
                .on_committed = [this](const OwnedBatch& batch) { OnCommitted(batch); },
                .on_recovered =
                    [this](const broker::store::Recovered& recovered) { OnRecovered(recovered); },
                .check = [this] { CheckCore(); }}) {
  clock_.AdvanceMs(static_cast<TimeMs>(Below(3'600'000)));
}

std::string WorkflowSim::Run() {
  return process_.Run([this] {
    Start();
    const uint64_t steps = 200 + Below(300);
    for (uint64_t step = 0; step < steps; ++step) {
      process_.set_step(step);
      Operate();
    }
    process_.set_step(steps);
    QuietPhase();
  });
}

void WorkflowSim::OnRecovered(const broker::store::Recovered& recovered) {
  SIM_EXPECT(recovered.workflows.size() == committed_workflows_.size(),
             absl::StrCat("recovered ", recovered.workflows.size(),
                          " workflows; the committed batches wrote ", committed_workflows_.size()));
}

void WorkflowSim::Start() {
  process_.Start();
  // An acknowledged workflow survives, whole.
  for (const auto& [seq, sent] : sent_) {
    if (!sent.id) {
      continue;
    }
    const broker::core::Workflow* workflow = process_.core()->FindWorkflow(*sent.id);
    SIM_EXPECT(workflow != nullptr && workflow->nodes.size() == sent.nodes,
               "acknowledged workflow " + Hex(*sent.id) + " lost across a restart");
  }
  // The client reconnects and sends again what was not acknowledged.
  std::vector<wire::SubmitWorkflow> again;
  for (const auto& [seq, sent] : sent_) {
    if (!sent.id) {
      again.push_back(sent.request);
    }
  }
  for (wire::SubmitWorkflow& request : again) {
    process_.core()->OnClientMessage("c", Command::kSubmitWorkflow, request.SerializeAsString(),
                                     clock_.NowMs(), process_.effects());
    process_.Step();
  }
}

void WorkflowSim::Operate() {
  const uint64_t r = Below(100);
  if (r < 12) {
    SubmitWorkflow(RandomWorkflow());
  } else if (r < 15) {
    Crash();
  } else if (r < 16) {
    CancelSomeWorkflow();
  } else if (r < 18) {
    RetrySomeNode();
  } else if (r < 75) {
    FinishSomeJob();
  } else {
    AdvanceTime(1 + static_cast<TimeMs>(Below(1500)));
  }
}

wire::SubmitWorkflow WorkflowSim::RandomWorkflow() {
  // Parents of node i among nodes before it, by shape.
  std::vector<std::vector<size_t>> parents;
  switch (Below(4)) {
    case 0: {  // a chain
      const size_t length = 2 + Below(7);
      for (size_t i = 0; i < length; ++i) {
        parents.push_back(i == 0 ? std::vector<size_t>{} : std::vector<size_t>{i - 1});
      }
      break;
    }
    case 1: {  // a root, a wide fan-out, a join (a chord)
      const size_t width = 2 + Below(15);
      parents.push_back({});
      std::vector<size_t> all;
      for (size_t i = 1; i <= width; ++i) {
        parents.push_back({0});
        all.push_back(i);
      }
      parents.push_back(all);
      break;
    }
    case 2:  // a diamond
      parents = {{}, {0}, {0}, {1, 2}};
      break;
    default: {  // any DAG
      const size_t count = 3 + Below(13);
      for (size_t i = 0; i < count; ++i) {
        std::set<size_t> chosen;
        for (uint64_t k = 0, n = i == 0 ? 0 : Below(4); k < n; ++k) {
          chosen.insert(Below(i));
        }
        parents.emplace_back(chosen.begin(), chosen.end());
      }
      break;
    }
  }
  // Names in one order, nodes sent in another: a node may name parents
  // sent after it.
  std::vector<size_t> order(parents.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::shuffle(order.begin(), order.end(), rng_);
  // Sometimes a node also waits for a job of an acknowledged workflow.
  std::vector<JobId> outside;
  for (const auto& [seq, sent] : sent_) {
    if (sent.id) {
      if (const broker::core::Workflow* other = process_.core()->FindWorkflow(*sent.id)) {
        outside.push_back(other->nodes[Below(other->nodes.size())]);
      }
    }
  }
  wire::SubmitWorkflow request;
  request.set_client_seq(next_seq_++);
  request.set_name("w" + std::to_string(request.client_seq()));
  request.set_submit_token(absl::StrCat("sim-", seed_, "-", request.client_seq()));
  for (size_t at : order) {
    wire::WorkflowNode& node = *request.add_nodes();
    node.set_name("n" + std::to_string(at));
    wire::JobSpec& job = *node.mutable_job();
    job.set_task("t");
    job.set_max_attempts(1 + static_cast<uint32_t>(Below(2)));
    job.set_backoff_ms(1);
    for (size_t parent : parents[at]) {
      node.add_after("n" + std::to_string(parent));
    }
    if (!outside.empty() && Below(10) == 0) {
      job.add_after(std::string(outside[Below(outside.size())].Bytes()));
    }
    if (node.after_size() > 0 || job.after_size() > 0) {
      job.set_payload("{\"n\": " + std::to_string(at) + "}");
      if (Below(6) == 0) {
        job.set_on_parent_failure(wire::PARENT_FAILURE_RUN);
      }
    }
  }
  return request;
}

void WorkflowSim::SubmitWorkflow(wire::SubmitWorkflow request) {
  Sent& sent = sent_[request.client_seq()];
  sent.nodes = static_cast<size_t>(request.nodes_size());
  sent.request = request;
  process_.effects()->Clear();
  process_.core()->OnClientMessage("c", Command::kSubmitWorkflow, request.SerializeAsString(),
                                   clock_.NowMs(), process_.effects());
  process_.Step();
}

void WorkflowSim::OnSent(const Outbound& out) {
  if (out.command == Command::kDispatch) {
    for (const wire::DispatchedJob& job : static_cast<const wire::Dispatch&>(*out.body).jobs()) {
      CheckDispatch(job);
    }
    return;
  }
  if (out.command == Command::kReconnect) {
    process_.running().clear();  // the broker forgot the worker: it registers again
    return;
  }
  if (out.command != Command::kWorkflowSubmitted) {
    return;
  }
  const auto& answer = static_cast<const wire::WorkflowSubmitted&>(*out.body);
  SIM_EXPECT(answer.error().type().empty(),
             "a valid workflow was refused: " + answer.error().message());
  auto sent = sent_.find(answer.client_seq());
  SIM_EXPECT(sent != sent_.end(), "an answer to a workflow never sent");
  const JobId id = *JobId::FromBytes(answer.id());
  SIM_EXPECT(!sent->second.id || *sent->second.id == id, "a re-sent workflow was created twice");
  SIM_EXPECT(static_cast<size_t>(answer.node_ids_size()) == sent->second.nodes,
             "the answer names every node");
  if (!sent->second.id) {
    ++figures_.workflows;
    figures_.nodes += sent->second.nodes;
  }
  sent->second.id = id;
}

void WorkflowSim::CheckDispatch(const wire::DispatchedJob& dispatched) {
  const JobId id = *JobId::FromBytes(dispatched.id());
  const Job* job = process_.core()->FindJob(id);
  SIM_EXPECT(job != nullptr, "dispatched job " + Hex(id) + " is not kept");
  for (const std::string& raw : job->spec.after()) {
    const Job* parent = process_.core()->FindJob(*JobId::FromBytes(raw));
    SIM_EXPECT(parent != nullptr, "a dispatched node's parent is kept");
    if (job->spec.on_parent_failure() == wire::PARENT_FAILURE_CANCEL) {
      SIM_EXPECT(Succeeded(parent), "node " + Hex(id) + " dispatched while parent " +
                                        Hex(parent->id) + " is " +
                                        wire::JobState_Name(parent->state));
    }
  }
  if (job->spec.after_size() > 0) {
    SIM_EXPECT(dispatched.payload().find("\"inputs\":{") != std::string::npos,
               "node " + Hex(id) + " dispatched without its inputs");
  }
}

void WorkflowSim::FinishSomeJob() {
  if (process_.running().empty()) {
    return AdvanceTime(1 + static_cast<TimeMs>(Below(50)));
  }
  wire::JobResult result = process_.ResultForSomeJob();
  result.set_ok(Below(100) < 80);
  if (result.ok()) {
    result.set_result(std::to_string(Below(1000)));
  } else {
    result.mutable_error()->set_type("exception");
    result.mutable_error()->set_message("sim");
  }
  process_.Finish(result);
}

void WorkflowSim::CancelSomeWorkflow() {
  std::vector<JobId> ids;
  for (const auto& [seq, sent] : sent_) {
    if (sent.id) {
      ids.push_back(*sent.id);
    }
  }
  if (ids.empty()) {
    return AdvanceTime(1);
  }
  process_.effects()->Clear();
  process_.core()
      ->CancelWorkflow(ids[Below(ids.size())], clock_.NowMs(), process_.effects())
      .IgnoreError();
  process_.Step();
}

void WorkflowSim::RetrySomeNode() {
  std::vector<const Job*> failed;
  broker::core::JobFilter filter;
  filter.limit = 1'000'000;
  for (wire::JobState state : {wire::JOB_STATE_FAILED, wire::JOB_STATE_DEAD}) {
    filter.state = state;
    for (const Job* job : process_.core()->ListJobs(filter).jobs) {
      failed.push_back(job);
    }
  }
  if (failed.empty()) {
    return AdvanceTime(1);
  }
  const Job* job = failed[Below(failed.size())];
  // Its descendants may be blocked again: each is written so once, then
  // released once more.
  std::vector<JobId> pending{job->id};
  std::set<JobId> seen;
  while (!pending.empty()) {
    const Job* at = process_.core()->FindJob(pending.back());
    pending.pop_back();
    if (at == nullptr || !at->links) {
      continue;
    }
    for (const JobId& child : at->links->children) {
      if (seen.insert(child).second) {
        may_block_again_.insert(child);
        pending.push_back(child);
      }
    }
  }
  process_.effects()->Clear();
  if (process_.core()->RetryJob(job->id, clock_.NowMs(), process_.effects()) ==
          broker::core::RetryOutcome::kRetried &&
      job->links && !job->links->children.empty()) {
    ++figures_.revived;
  }
  process_.Step();
}

void WorkflowSim::AdvanceTime(TimeMs delta_ms) {
  clock_.AdvanceMs(delta_ms);
  process_.effects()->Clear();
  // The worker's heartbeat: it holds what it runs.
  wire::Heartbeat heartbeat;
  for (const auto& [id, attempt] : process_.running()) {
    heartbeat.add_holding(std::string(id.Bytes()));
  }
  process_.core()->OnWorkerMessage("w", Command::kWorkerHeartbeat, heartbeat.SerializeAsString(),
                                   clock_.NowMs(), process_.effects());
  process_.Step();
}

void WorkflowSim::OnCommitted(const OwnedBatch& batch) {
  for (const Job& job : batch.changed) {
    if (job.spec.after_size() == 0) {
      continue;
    }
    const bool released = job.state != wire::JOB_STATE_BLOCKED;
    auto [was, first] = committed_released_.emplace(job.id, released);
    if (!released && !first && was->second) {
      SIM_EXPECT(may_block_again_.count(job.id) == 1,
                 "node " + Hex(job.id) + " committed released, then blocked again" +
                     (std::getenv("JOBQ_SIM_DEBUG") != nullptr ? Describe(job) : ""));
    }
    if (!released) {
      may_block_again_.erase(job.id);
    } else if (first || !was->second) {
      ++figures_.releases_committed;
    }
    was->second = released;
    if (job.error.type() == broker::core::kUpstreamFailedErrorType) {
      ++figures_.upstream_cancelled;
    }
  }
  for (const JobId& id : batch.workflows_erased) {
    committed_workflows_.erase(id);
  }
  for (const ::jobq::store::WorkflowRecord& record : batch.workflows_changed) {
    committed_workflows_.insert(*JobId::FromBytes(record.id()));
  }
}

void WorkflowSim::Crash() {
  process_.Stop();
  ++figures_.restarts;
  clock_.AdvanceMs(1 + static_cast<TimeMs>(Below(3000)));
  Start();
}

void WorkflowSim::CheckCore() {
  broker::core::JobFilter all;
  all.limit = 1'000'000;
  for (const Job* job : process_.core()->ListJobs(all).jobs) {
    if (job->spec.after_size() == 0) {
      continue;
    }
    bool parent_failed = false;
    for (const std::string& raw : job->spec.after()) {
      const Job* parent = process_.core()->FindJob(*JobId::FromBytes(raw));
      parent_failed =
          parent_failed ||
          (parent != nullptr && broker::core::IsTerminal(parent->state) && !Succeeded(parent));
    }
    if (job->error.type() == broker::core::kUpstreamFailedErrorType) {
      SIM_EXPECT(parent_failed,
                 "node " + Hex(job->id) + " was cancelled for a parent, and none failed");
    }
    // Once its workflow has finished, a node behind a failed parent did
    // not run (unless it runs whatever its parents do).
    const broker::core::Workflow* workflow =
        job->links && job->links->workflow ? process_.core()->FindWorkflow(*job->links->workflow)
                                           : nullptr;
    if (workflow != nullptr && workflow->unfinished == 0 && parent_failed &&
        job->spec.on_parent_failure() == wire::PARENT_FAILURE_CANCEL) {
      SIM_EXPECT(job->state == wire::JOB_STATE_CANCELLED, "node " + Hex(job->id) +
                                                              " behind a failed parent ended " +
                                                              wire::JobState_Name(job->state));
    }
  }
}

void WorkflowSim::QuietPhase() {
  // No more faults: the worker finishes everything, time passes for leases
  // of the jobs a crash left running, and every workflow must end.
  for (int round = 0; round < 20'000; ++round) {
    bool all_done = true;
    for (const auto& [seq, sent] : sent_) {
      const broker::core::Workflow* workflow =
          sent.id ? process_.core()->FindWorkflow(*sent.id) : nullptr;
      all_done = all_done && workflow != nullptr && workflow->unfinished == 0;
    }
    if (all_done) {
      break;
    }
    if (!process_.running().empty()) {
      FinishSomeJob();
    } else {
      AdvanceTime(500);
    }
  }
  for (const auto& [seq, sent] : sent_) {
    SIM_EXPECT(sent.id.has_value(), "workflow " + std::to_string(seq) + " was never acknowledged");
    const broker::core::Workflow* workflow = process_.core()->FindWorkflow(*sent.id);
    SIM_EXPECT(workflow != nullptr && workflow->unfinished == 0,
               "workflow " + Hex(*sent.id) + " never ended");
  }
  process_.Drain();
  absl::StatusOr<broker::store::Recovered> recovered = process_.store()->Recover();
  SIM_EXPECT(recovered.ok(), std::string(recovered.status().message()));
  SIM_EXPECT(recovered->workflows.size() == process_.core()->workflow_count(),
             "the store holds every workflow the core has");
  for (const Job& stored : recovered->jobs) {
    const Job* job = process_.core()->FindJob(stored.id);
    SIM_EXPECT(job != nullptr && job->state == stored.state,
               "the store holds job " + Hex(stored.id) + " as the core has it");
  }
}

}  // namespace jobq::testing
