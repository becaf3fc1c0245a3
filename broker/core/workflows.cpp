// BrokerCore: workflows (SUBMIT_WORKFLOW) and jobs with parents
// (JobSpec.after). A blocked job waits for its parents; when the last one
// resolves, its release happens inside the Finish of that parent, so the
// parent's outcome and the child's release share one commit: a crash
// between them cannot release a child twice, nor lose its release.
// Releases and cancellations spread through a queue (ResolveChildren),
// O(children) per parent, never a scan and never deep recursion.

#include <algorithm>

#include "broker/core/broker_core.h"
#include "broker/core/core_helpers.h"
#include "broker/core/workflow_inputs.h"
#include "broker/core/workflow_plan.h"
#include "common/check.h"
#include "common/job_state.h"

namespace jobq::broker::core {
namespace {

constexpr size_t kWorkflowNodesPerPageMax = 10'000;
// Joins an upstream_failed message to the parent it came through.
constexpr char kUpstreamHop[] = ", via \"";

void RejectWorkflow(const std::string& client, uint64_t client_seq, const char* type,
                    std::string message, Effects* effects) {
  auto answer = std::make_unique<wire::WorkflowSubmitted>();
  answer->set_client_seq(client_seq);
  answer->mutable_error()->set_type(type);
  answer->mutable_error()->set_message(std::move(message));
  effects->Send(Socket::kFrontend, client, Command::kWorkflowSubmitted, std::move(answer));
}

// Whether a parent in `state` lets a child with `policy` go on.
bool Resolves(wire::JobState state, wire::ParentFailure policy) {
  return state == wire::JOB_STATE_SUCCEEDED ||
         (IsTerminal(state) && policy == wire::PARENT_FAILURE_RUN);
}

bool FailsChild(wire::JobState state, wire::ParentFailure policy) {
  return IsTerminal(state) && state != wire::JOB_STATE_SUCCEEDED &&
         policy == wire::PARENT_FAILURE_CANCEL;
}

}  // namespace

// ---- Submission.

void BrokerCore::SubmitWorkflow(const std::string& client, wire::SubmitWorkflow& request,
                                TimeMs now_ms, Effects* effects) {
  const uint64_t client_seq = request.client_seq();
  auto reject = [&](const char* type, std::string message) {
    ++counters_.workflows_rejected;
    RejectWorkflow(client, client_seq, type, std::move(message), effects);
  };
  if (!request.submit_token().empty()) {
    auto known = workflow_tokens_.find(request.submit_token());
    if (known != workflow_tokens_.end()) {
      // Re-sent after a lost connection: the first one's ids again.
      const Workflow& first = workflows_.at(known->second);
      auto answer = std::make_unique<wire::WorkflowSubmitted>();
      answer->set_client_seq(client_seq);
      answer->set_id(std::string(first.id.Bytes()));
      answer->set_duplicate(true);
      wire::Wait wait;
      for (const JobId& node : first.nodes) {
        answer->add_node_ids(std::string(node.Bytes()));
        wait.add_ids(std::string(node.Bytes()));
      }
      if (request.notify()) {
        Wait(client, wait, effects);
      }
      effects->Send(Socket::kFrontend, client, Command::kWorkflowSubmitted, std::move(answer));
      return;
    }
  }
  absl::StatusOr<WorkflowPlan> plan = PlanWorkflow(request, options_.workflow_nodes_max);
  if (!plan.ok()) {
    return reject("bad_request", std::string(plan.status().message()));
  }
  for (const wire::WorkflowNode& node : request.nodes()) {
    if (std::string bad = RefuseSpec(node.job(), now_ms); !bad.empty()) {
      return reject("bad_request", "node \"" + node.name() + "\": " + bad);
    }
  }
  if (shutting_down_) {
    return reject("shutting_down",
                  "the broker is shutting down; submit again once it is back, or to another "
                  "broker");
  }
  std::string type;
  if (std::string full = WorkflowRoomFor(request, &type); !full.empty()) {
    return reject(type == "bad_request" ? "bad_request" : "queue_full", std::move(full));
  }

  // Every node is created blocked or ready before any is linked: a node
  // may name parents sent after it.
  const JobId workflow_id = id_generator_.Next(now_ms);
  Workflow& workflow = workflows_[workflow_id];
  workflow.id = workflow_id;
  workflow.record.set_id(std::string(workflow_id.Bytes()));
  workflow.record.set_name(request.name());
  workflow.record.set_created_ms(now_ms);
  workflow.record.set_submit_token(request.submit_token());
  if (!request.submit_token().empty()) {
    workflow_tokens_[request.submit_token()] = workflow_id;
  }
  workflow.nodes.reserve(static_cast<size_t>(request.nodes_size()));
  auto answer = std::make_unique<wire::WorkflowSubmitted>();
  answer->set_client_seq(client_seq);
  answer->set_id(std::string(workflow_id.Bytes()));
  std::vector<Job*> created;
  created.reserve(static_cast<size_t>(request.nodes_size()));
  for (int i = 0; i < request.nodes_size(); ++i) {
    wire::WorkflowNode& node = *request.mutable_nodes(i);
    wire::JobSpec& spec = *node.mutable_job();
    spec.clear_submit_token();  // the workflow's token deduplicates it
    // Listed from its first node, even a blocked one (as Submit lists a
    // plain job's queue before it adds the job).
    QueueNamed(spec.queue().empty() ? kDefaultQueue : spec.queue());
    // Parents in the workflow go after the external ones, as ids once
    // those exist; a placeholder keeps spec.after the right size.
    for (size_t p = 0; p < (*plan).parents[static_cast<size_t>(i)].size(); ++p) {
      spec.add_after();
    }
    Job& job = AddJob(std::move(spec), now_ms, effects, workflow_id, node.name());
    if (request.notify()) {
      job.watchers.push_back(client);
    }
    workflow.nodes.push_back(job.id);
    created.push_back(&job);
    answer->add_node_ids(std::string(job.id.Bytes()));
  }
  for (size_t i = 0; i < created.size(); ++i) {
    Job& job = *created[i];
    const std::vector<uint32_t>& parents = (*plan).parents[i];
    const int external = job.spec.after_size() - static_cast<int>(parents.size());
    for (size_t p = 0; p < parents.size(); ++p) {
      job.spec.set_after(external + static_cast<int>(p),
                         std::string(created[parents[p]]->id.Bytes()));
    }
  }
  for (Job* job : created) {
    if (job->state == wire::JOB_STATE_BLOCKED) {
      LinkToParents(*job, now_ms, effects);
    }
  }
  ++counters_.workflows_submitted;
  SyncWorkflowState(workflow);
  effects->WorkflowChanged(workflow_id);
  effects->Send(Socket::kFrontend, client, Command::kWorkflowSubmitted, std::move(answer));
}

std::string BrokerCore::WorkflowRoomFor(const wire::SubmitWorkflow& request,
                                        std::string* type) const {
  *type = "queue_full";
  const size_t nodes = static_cast<size_t>(request.nodes_size());
  if (jobs_.size() + nodes > options_.jobs_max) {
    return "the broker keeps " + std::to_string(jobs_.size()) + " jobs and the workflow adds " +
           std::to_string(nodes) + ", past its limit of " + std::to_string(options_.jobs_max) +
           " (--jobs-max); retry later, add workers, or shorten --result-ttl";
  }
  // Nodes without parents wait in their queues at once; the rest only
  // once released, so only these count against --queue-max.
  std::map<std::string, size_t> ready_by_queue;
  size_t new_queues = 0;
  for (const wire::WorkflowNode& node : request.nodes()) {
    const std::string& queue = node.job().queue().empty() ? kDefaultQueue : node.job().queue();
    auto [it, inserted] = ready_by_queue.emplace(queue, 0);
    if (inserted && queues_.count(queue) == 0) {
      ++new_queues;
    }
    if (node.after_size() == 0 && node.job().after_size() == 0) {
      ++it->second;
    }
  }
  if (queues_.size() + new_queues > options_.queues_max) {
    return "the workflow names " + std::to_string(new_queues) + " new queues and the broker has " +
           std::to_string(queues_.size()) + ", past its limit of " +
           std::to_string(options_.queues_max) + " (--queues-max)";
  }
  for (const auto& [queue, ready] : ready_by_queue) {
    const size_t waiting = index_.Waiting(queue);
    if (ready > 0 && waiting + ready > options_.queue_depth_max) {
      return "queue \"" + queue + "\" holds " + std::to_string(waiting) +
             " waiting jobs and the workflow adds " + std::to_string(ready) +
             ", past its limit (--queue-max); retry later or add workers";
    }
  }
  for (const wire::WorkflowNode& node : request.nodes()) {
    if (std::string unknown = UnknownParent(node.job()); !unknown.empty()) {
      *type = "bad_request";
      return "node \"" + node.name() + "\": " + unknown;
    }
  }
  return "";
}

std::string BrokerCore::UnknownParent(const wire::JobSpec& spec) const {
  for (const std::string& raw : spec.after()) {
    std::optional<JobId> id = JobId::FromBytes(raw);
    if (!id || jobs_.count(*id) == 0) {
      return "it waits for job " + (id ? id->ToString() : std::string("(malformed id)")) +
             ", which the broker does not keep (never submitted, or its result expired)";
    }
  }
  return "";
}

// ---- Release and propagation.

void BrokerCore::LinkToParents(Job& job, TimeMs now_ms, Effects* effects) {
  JOBQ_CHECK(job.state == wire::JOB_STATE_BLOCKED) << "only a blocked job is linked";
  JobLinks& links = job.links.Make();
  links.unresolved = 0;
  std::optional<JobId> failed;
  for (const std::string& raw : job.spec.after()) {
    const JobId parent_id = *JobId::FromBytes(raw);
    Job& parent = jobs_.at(parent_id);
    JobLinks& parent_links = parent.links.Make();
    parent_links.children.push_back(job.id);
    ++parent_links.blocked_children;
    if (FailsChild(parent.state, job.spec.on_parent_failure())) {
      failed = failed ? failed : parent_id;
    } else if (!Resolves(parent.state, job.spec.on_parent_failure())) {
      ++links.unresolved;
    }
  }
  if (failed) {
    CancelUpstream(job, &jobs_.at(*failed), *failed, now_ms, effects);
  } else if (links.unresolved == 0) {
    Release(job, now_ms, effects);
  }
}

std::string BrokerCore::ParentKey(const Job& child, const JobId& parent_id,
                                  const Job* parent) const {
  if (parent != nullptr && parent->links && child.links && parent->links->workflow &&
      parent->links->workflow == child.links->workflow) {
    return parent->links->node;
  }
  return parent_id.ToString();
}

void BrokerCore::Release(Job& job, TimeMs now_ms, Effects* effects) {
  std::vector<ParentOutcome> parents;
  parents.reserve(static_cast<size_t>(job.spec.after_size()));
  for (const std::string& raw : job.spec.after()) {
    const JobId parent_id = *JobId::FromBytes(raw);
    // Kept: a finished job with a blocked child is not forgotten.
    const Job& parent = jobs_.at(parent_id);
    ParentOutcome& outcome = parents.emplace_back();
    outcome.key = ParentKey(job, parent_id, &parent);
    outcome.state = parent.state;
    outcome.result = parent.result;
    outcome.content_type = parent.result_content_type;
    outcome.error = &parent.error;
  }
  absl::StatusOr<std::string> inputs = BuildInputs(parents, options_.result_bytes_max);
  ++counters_.released;
  if (!inputs.ok()) {
    job.error.set_type("inputs_too_large");
    job.error.set_message(std::string(inputs.status().message()));
    Finish(job, wire::JOB_STATE_FAILED, now_ms, effects);
    return;
  }
  job.links->inputs = *std::move(inputs);
  if (job.spec.not_before_ms() > now_ms) {
    Schedule(job, job.spec.not_before_ms(), now_ms, effects);
  } else {
    Enqueue(job, /*at_front=*/false, now_ms, effects);
  }
}

void BrokerCore::CancelUpstream(Job& job, const Job* parent, const JobId& parent_id, TimeMs now_ms,
                                Effects* effects) {
  const std::string key = ParentKey(job, parent_id, parent);
  std::string why;
  if (parent == nullptr) {
    why = "parent " + key + " is no longer kept";
  } else if (parent->error.type() == kUpstreamFailedErrorType) {
    // Names the parent that failed first, however far up, and only the
    // last hop: the whole path made each message longer than its parent's,
    // and a chain of 20,000 cost quadratic time and memory (40 s, and
    // gigabytes to store, for one failure).
    const std::string& upstream = parent->error.message();
    const size_t hop = upstream.rfind(kUpstreamHop);
    why = upstream.substr(0, hop) + kUpstreamHop + key + "\"";
  } else {
    why = "parent \"" + key + "\" (job " + parent_id.ToString() + ") ended " +
          std::string(JobStateName(parent->state));
    if (!parent->error.type().empty()) {
      why += " (" + parent->error.type() + ")";
    }
  }
  job.error.set_type(kUpstreamFailedErrorType);
  job.error.set_message(std::move(why));
  ++counters_.upstream_cancelled;
  Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
}

void BrokerCore::ResolveChildren(const Job& parent, TimeMs now_ms, Effects* effects) {
  resolving_.push_back(parent.id);
  if (resolving_active_) {
    return;  // the loop below, further up the stack, takes it
  }
  resolving_active_ = true;
  while (!resolving_.empty()) {
    const JobId id = resolving_.front();
    resolving_.pop_front();
    auto found = jobs_.find(id);
    if (found == jobs_.end() || !found->second.links) {
      continue;
    }
    const Job& finished = found->second;
    // By index: a release never adds children to `finished`, but the
    // vector is read while other jobs change.
    const std::vector<JobId>& children = finished.links->children;
    for (size_t i = 0; i < children.size(); ++i) {
      auto child_it = jobs_.find(children[i]);
      if (child_it == jobs_.end() || child_it->second.state != wire::JOB_STATE_BLOCKED) {
        continue;
      }
      Job& child = child_it->second;
      const wire::ParentFailure policy = child.spec.on_parent_failure();
      if (FailsChild(finished.state, policy)) {
        CancelUpstream(child, &finished, finished.id, now_ms, effects);
      } else if (Resolves(finished.state, policy)) {
        JOBQ_CHECK(child.links->unresolved > 0) << "a blocked job waits for a parent";
        if (--child.links->unresolved == 0) {
          Release(child, now_ms, effects);
        }
      }
    }
  }
  resolving_active_ = false;
}

void BrokerCore::ReviveChildren(const Job& job, TimeMs now_ms, Effects* effects) {
  std::vector<JobId> pending{job.id};
  while (!pending.empty()) {
    const JobId id = pending.back();
    pending.pop_back();
    auto found = jobs_.find(id);
    if (found == jobs_.end() || !found->second.links) {
      continue;
    }
    // Copied: reviving a child changes other jobs' links, never this list,
    // but a copy makes that plain.
    const std::vector<JobId> children = found->second.links->children;
    for (const JobId& child_id : children) {
      auto child_it = jobs_.find(child_id);
      if (child_it == jobs_.end()) {
        continue;
      }
      Job& child = child_it->second;
      if (child.state == wire::JOB_STATE_BLOCKED) {
        // It had counted this parent as resolved (it runs whatever its
        // parents do): it waits for the new outcome now.
        if (child.spec.on_parent_failure() == wire::PARENT_FAILURE_RUN) {
          ++child.links->unresolved;
        }
        continue;
      }
      if (child.state != wire::JOB_STATE_CANCELLED ||
          child.error.type() != kUpstreamFailedErrorType) {
        continue;  // it ran, or an operator cancelled it: left as it is
      }
      uint32_t unresolved = 0;
      bool another_failed = false;
      for (const std::string& raw : child.spec.after()) {
        auto parent = jobs_.find(*JobId::FromBytes(raw));
        if (parent == jobs_.end() ||
            FailsChild(parent->second.state, child.spec.on_parent_failure())) {
          another_failed = true;
          break;
        }
        if (!Resolves(parent->second.state, child.spec.on_parent_failure())) {
          ++unresolved;
        }
      }
      if (another_failed) {
        continue;  // still cancelled for that one
      }
      child.error.Clear();
      child.finished_ms = 0;
      child.expires_ms = 0;
      child.links->inputs.clear();
      Transition(child, wire::JOB_STATE_BLOCKED, now_ms);
      child.links->unresolved = unresolved;
      effects->JobChanged(child.id);
      ++counters_.requeued;
      pending.push_back(child.id);
    }
  }
}

// ---- State bookkeeping, called from Transition, Admit, Forget and Finish.

void BrokerCore::LinksTransition(Job& job, wire::JobState to, TimeMs now_ms) {
  const wire::JobState from = job.state;
  if ((from == wire::JOB_STATE_BLOCKED) != (to == wire::JOB_STATE_BLOCKED)) {
    const bool blocking = to == wire::JOB_STATE_BLOCKED;
    for (const std::string& raw : job.spec.after()) {
      auto parent = jobs_.find(*JobId::FromBytes(raw));
      if (parent == jobs_.end() || !parent->second.links) {
        continue;
      }
      uint32_t& blocked = parent->second.links->blocked_children;
      if (blocking) {
        ++blocked;
      } else {
        JOBQ_CHECK(blocked > 0) << "a parent counts its blocked children";
        if (--blocked == 0) {
          RecheckExpiry(parent->second, now_ms);
        }
      }
    }
  }
  if (job.links->workflow) {
    CountNode(job, from, to);
  }
}

void BrokerCore::CountNode(const Job& job, std::optional<wire::JobState> from,
                           std::optional<wire::JobState> to) {
  auto found = workflows_.find(*job.links->workflow);
  if (found == workflows_.end()) {
    return;
  }
  Workflow& workflow = found->second;
  if (from) {
    --workflow.counts[*from];
    if (!IsTerminal(*from)) {
      --workflow.unfinished;
    }
  }
  if (to) {
    ++workflow.counts[*to];
    if (!IsTerminal(*to)) {
      ++workflow.unfinished;
      // New, or running again (a retry): it is no longer done, nor expiring.
      workflow.finished_ms = 0;
      workflow.expires_ms = 0;
    }
  }
  SyncWorkflowState(workflow);
}

void BrokerCore::NodeFinished(Job& job, TimeMs now_ms, Effects* effects) {
  if (job.links->workflow) {
    auto found = workflows_.find(*job.links->workflow);
    if (found != workflows_.end() && found->second.unfinished == 0 &&
        found->second.finished_ms == 0) {
      Workflow& workflow = found->second;
      workflow.finished_ms = now_ms;
      // Its nodes go together, when the last of their results would.
      TimeMs expires_ms = now_ms;
      for (const JobId& node : workflow.nodes) {
        auto node_it = jobs_.find(node);
        if (node_it != jobs_.end()) {
          expires_ms = std::max(expires_ms, node_it->second.expires_ms);
        }
      }
      workflow.expires_ms = expires_ms;
      workflow_expiry_.push({expires_ms, workflow.id});
    }
  }
  if (!job.links->children.empty()) {
    ResolveChildren(job, now_ms, effects);
  }
}

void BrokerCore::RecheckExpiry(const Job& job, TimeMs now_ms) {
  if (job.links && job.links->workflow) {
    auto found = workflows_.find(*job.links->workflow);
    if (found != workflows_.end() && found->second.expires_ms != 0) {
      workflow_expiry_.push({std::max(now_ms, found->second.expires_ms), found->second.id});
    }
    return;
  }
  if (IsTerminal(job.state)) {
    expiry_.push({std::max(now_ms, job.expires_ms), job.id});
  }
}

bool BrokerCore::HeldForLinks(const Job& job) const {
  // A node goes with its workflow; any job waits for its blocked children.
  return job.links && (job.links->workflow || job.links->blocked_children > 0);
}

void BrokerCore::ExpireWorkflows(TimeMs now_ms, Effects* effects) {
  while (!workflow_expiry_.empty() && workflow_expiry_.top().due_ms <= now_ms) {
    const JobId id = workflow_expiry_.top().id;
    workflow_expiry_.pop();
    auto found = workflows_.find(id);
    if (found == workflows_.end() || found->second.unfinished > 0 ||
        found->second.expires_ms == 0 || found->second.expires_ms > now_ms) {
      continue;  // stale: retried since, or already gone
    }
    Workflow& workflow = found->second;
    bool held = false;
    for (const JobId& node : workflow.nodes) {
      auto node_it = jobs_.find(node);
      if (node_it != jobs_.end() && node_it->second.links->blocked_children > 0) {
        held = true;  // a job outside waits for a node's result; it comes back then
        break;
      }
    }
    if (held) {
      continue;
    }
    for (const JobId& node : workflow.nodes) {
      auto node_it = jobs_.find(node);
      if (node_it == jobs_.end()) {
        continue;
      }
      Forget(node_it->second);
      jobs_.erase(node_it);
      effects->JobErased(node);
    }
    if (!workflow.record.submit_token().empty()) {
      workflow_tokens_.erase(workflow.record.submit_token());
    }
    if (workflow.counted_as) {
      --workflow_states_[*workflow.counted_as];
    }
    workflows_.erase(found);
    effects->WorkflowErased(id);
  }
}

// ---- Restore.

void BrokerCore::RestoreWorkflows(std::vector<::jobq::store::WorkflowRecord> records) {
  for (::jobq::store::WorkflowRecord& record : records) {
    std::optional<JobId> id = JobId::FromBytes(record.id());
    if (!id) {
      continue;
    }
    Workflow& workflow = workflows_[*id];
    workflow.id = *id;
    if (!record.submit_token().empty()) {
      workflow_tokens_[record.submit_token()] = *id;
    }
    workflow.record = std::move(record);
  }
}

void BrokerCore::RelinkRestored(const std::vector<JobId>& ids, TimeMs now_ms) {
  // Children and counts first, for every job; then the blocked jobs whose
  // parents resolved them while the broker was down (a crash between two
  // commits cannot do that, but a store edited by hand can).
  for (const JobId& id : ids) {
    Job& job = jobs_.at(id);
    if (job.spec.after_size() > 0) {
      job.links.Make();  // every job with parents has links, blocked or not
    }
    if (job.links && job.links->workflow) {
      auto found = workflows_.find(*job.links->workflow);
      if (found != workflows_.end()) {
        found->second.nodes.push_back(id);
      }
    }
    for (const std::string& raw : job.spec.after()) {
      std::optional<JobId> parent_id = JobId::FromBytes(raw);
      auto parent = parent_id ? jobs_.find(*parent_id) : jobs_.end();
      if (parent == jobs_.end()) {
        continue;
      }
      JobLinks& parent_links = parent->second.links.Make();
      parent_links.children.push_back(id);
      if (job.state == wire::JOB_STATE_BLOCKED) {
        ++parent_links.blocked_children;
      }
    }
  }
  Effects effects;
  for (const JobId& id : ids) {
    Job& job = jobs_.at(id);
    if (job.state != wire::JOB_STATE_BLOCKED) {
      continue;
    }
    JobLinks& links = job.links.Make();
    links.unresolved = 0;
    std::optional<JobId> failed;
    const Job* failed_parent = nullptr;
    for (const std::string& raw : job.spec.after()) {
      std::optional<JobId> parent_id = JobId::FromBytes(raw);
      auto parent = parent_id ? jobs_.find(*parent_id) : jobs_.end();
      if (parent == jobs_.end()) {
        failed = failed ? failed : parent_id.value_or(JobId());
        continue;
      }
      if (FailsChild(parent->second.state, job.spec.on_parent_failure())) {
        if (!failed) {
          failed = parent->first;
          failed_parent = &parent->second;
        }
      } else if (!Resolves(parent->second.state, job.spec.on_parent_failure())) {
        ++links.unresolved;
      }
    }
    if (failed) {
      CancelUpstream(job, failed_parent, *failed, now_ms, &effects);
    } else if (links.unresolved == 0) {
      Release(job, now_ms, &effects);
    }
  }
  for (auto& [id, workflow] : workflows_) {
    if (workflow.nodes.empty()) {
      continue;  // its nodes were erased with it in one commit; never here
    }
    if (workflow.unfinished == 0 && workflow.finished_ms == 0) {
      TimeMs finished_ms = 0;
      TimeMs expires_ms = 0;
      for (const JobId& node : workflow.nodes) {
        const Job& job = jobs_.at(node);
        finished_ms = std::max(finished_ms, job.finished_ms);
        expires_ms = std::max(expires_ms, job.expires_ms);
      }
      workflow.finished_ms = std::max<TimeMs>(finished_ms, 1);
      workflow.expires_ms = std::max(expires_ms, workflow.finished_ms);
      workflow_expiry_.push({workflow.expires_ms, id});
    }
    SyncWorkflowState(workflow);
  }
  for (auto it = workflows_.begin(); it != workflows_.end();) {
    if (it->second.nodes.empty()) {
      restore_workflows_erased_.push_back(it->first);
      if (it->second.counted_as) {
        --workflow_states_[*it->second.counted_as];
      }
      if (!it->second.record.submit_token().empty()) {
        workflow_tokens_.erase(it->second.record.submit_token());
      }
      it = workflows_.erase(it);
    } else {
      ++it;
    }
  }
  restore_changes_ = std::move(effects.changed_jobs);
}

// ---- Admin.

const Workflow* BrokerCore::FindWorkflow(const JobId& id) const {
  auto found = workflows_.find(id);
  return found == workflows_.end() ? nullptr : &found->second;
}

const ::jobq::store::WorkflowRecord* BrokerCore::FindWorkflowRecord(const JobId& id) const {
  const Workflow* workflow = FindWorkflow(id);
  return workflow == nullptr ? nullptr : &workflow->record;
}

absl::StatusOr<WorkflowCancelCounts> BrokerCore::CancelWorkflow(const JobId& id, TimeMs now_ms,
                                                                Effects* effects) {
  auto found = workflows_.find(id);
  if (found == workflows_.end()) {
    return absl::NotFoundError("the broker does not know workflow " + id.ToString() +
                               " (never submitted, or forgotten after its result TTL)");
  }
  Workflow& workflow = found->second;
  if (workflow.unfinished == 0) {
    return absl::FailedPreconditionError("every node of workflow " + id.ToString() +
                                         " has finished; nothing to cancel");
  }
  // Children before parents (a reverse topological order of the nodes),
  // so that no node is cancelled as its parent's consequence first.
  absl::flat_hash_map<JobId, uint32_t> pending_children;
  for (const JobId& node : workflow.nodes) {
    const Job& job = jobs_.at(node);
    uint32_t in_workflow = 0;
    if (job.links) {
      for (const JobId& child : job.links->children) {
        auto child_it = jobs_.find(child);
        if (child_it != jobs_.end() && child_it->second.links &&
            child_it->second.links->workflow == id) {
          ++in_workflow;
        }
      }
    }
    pending_children[node] = in_workflow;
  }
  std::vector<JobId> ready;
  for (const JobId& node : workflow.nodes) {
    if (pending_children[node] == 0) {
      ready.push_back(node);
    }
  }
  workflow.record.set_cancelled(true);
  effects->WorkflowChanged(id);
  WorkflowCancelCounts counts;
  while (!ready.empty()) {
    const JobId node = ready.back();
    ready.pop_back();
    switch (CancelJobBy(node, "an operator (workflow cancelled)", now_ms, effects)) {
      case CancelOutcome::kCancelled:
        ++counts.cancelled;
        break;
      case CancelOutcome::kCancelRequested:
        ++counts.cancel_requested;
        break;
      default:
        break;
    }
    for (const std::string& raw : jobs_.at(node).spec.after()) {
      const JobId parent = *JobId::FromBytes(raw);
      auto pending = pending_children.find(parent);
      if (pending != pending_children.end() && --pending->second == 0) {
        ready.push_back(parent);
      }
    }
  }
  return counts;
}

::jobq::admin::WorkflowInfo BrokerCore::WorkflowInfoOf(const Workflow& workflow, size_t node_offset,
                                                       size_t node_limit) const {
  ::jobq::admin::WorkflowInfo info;
  info.set_id(std::string(workflow.id.Bytes()));
  info.set_name(workflow.record.name());
  info.set_state(workflow.State());
  info.set_created_ms(workflow.record.created_ms());
  info.set_finished_ms(workflow.finished_ms);
  info.set_expires_ms(workflow.expires_ms);
  info.set_node_count(static_cast<uint32_t>(workflow.nodes.size()));
  for (size_t state = 0; state < workflow.counts.size(); ++state) {
    if (workflow.counts[state] > 0) {
      ::jobq::admin::WorkflowStateCount& count = *info.add_counts();
      count.set_state(static_cast<wire::JobState>(state));
      count.set_nodes(workflow.counts[state]);
    }
  }
  node_limit = std::min(node_limit, kWorkflowNodesPerPageMax);
  for (size_t i = node_offset; i < workflow.nodes.size() && i < node_offset + node_limit; ++i) {
    const Job& job = jobs_.at(workflow.nodes[i]);
    ::jobq::admin::WorkflowNodeInfo& node = *info.add_nodes();
    node.set_name(job.links->node);
    node.set_job_id(std::string(job.id.Bytes()));
    node.set_task(job.spec.task());
    node.set_queue(job.spec.queue());
    node.set_state(job.state);
    node.set_attempts(job.attempt);
    node.set_submitted_ms(job.submitted_ms);
    node.set_started_ms(job.started_ms);
    node.set_finished_ms(job.finished_ms);
    node.set_on_parent_failure(job.spec.on_parent_failure());
    if (!job.error.type().empty()) {
      *node.mutable_error() = job.error;
    }
    for (const std::string& raw : job.spec.after()) {
      const JobId parent_id = *JobId::FromBytes(raw);
      auto parent = jobs_.find(parent_id);
      if (parent != jobs_.end() && parent->second.links &&
          parent->second.links->workflow == workflow.id) {
        node.add_after(parent->second.links->node);
      } else {
        node.add_after_jobs(raw);
      }
    }
  }
  return info;
}

WorkflowPage BrokerCore::ListWorkflows(::jobq::admin::WorkflowState state,
                                       std::optional<JobId> after, size_t limit) const {
  WorkflowPage page;
  auto it = after ? workflows_.upper_bound(*after) : workflows_.begin();
  size_t examined = 0;
  for (; it != workflows_.end(); ++it) {
    if (page.workflows.size() == limit || examined == kListExamineMax) {
      page.next_after = page.workflows.empty() ? it->first : page.workflows.back()->id;
      if (examined == kListExamineMax && !page.workflows.empty()) {
        page.next_after = std::prev(it)->first;
      }
      break;
    }
    ++examined;
    if (state == ::jobq::admin::WORKFLOW_STATE_UNSPECIFIED || it->second.State() == state) {
      page.workflows.push_back(&it->second);
    }
  }
  return page;
}

void BrokerCore::SyncWorkflowState(Workflow& workflow) {
  const ::jobq::admin::WorkflowState now = workflow.State();
  if (workflow.counted_as == now) {
    return;
  }
  if (workflow.counted_as) {
    --workflow_states_[*workflow.counted_as];
  }
  ++workflow_states_[now];
  workflow.counted_as = now;
}

// ---- Invariants.

void BrokerCore::CheckWorkflowInvariants() const {
  std::map<JobId, std::array<uint32_t, wire::JobState_ARRAYSIZE>> counted;
  for (const auto& [id, job] : jobs_) {
    uint32_t unresolved = 0;
    for (const std::string& raw : job.spec.after()) {
      std::optional<JobId> parent_id = JobId::FromBytes(raw);
      JOBQ_CHECK(parent_id.has_value()) << "a parent id is 16 bytes";
      auto parent = jobs_.find(*parent_id);
      if (job.state == wire::JOB_STATE_BLOCKED) {
        JOBQ_CHECK(parent != jobs_.end()) << "a blocked job's parents are kept";
        JOBQ_CHECK(!FailsChild(parent->second.state, job.spec.on_parent_failure()))
            << "a blocked job has no failed parent it would be cancelled for";
        if (!Resolves(parent->second.state, job.spec.on_parent_failure())) {
          ++unresolved;
        }
      }
      if (parent != jobs_.end()) {
        JOBQ_CHECK(parent->second.links) << "a parent has links";
        const std::vector<JobId>& children = parent->second.links->children;
        JOBQ_CHECK(std::find(children.begin(), children.end(), id) != children.end())
            << "a parent lists its child";
      }
    }
    if (job.state == wire::JOB_STATE_BLOCKED) {
      JOBQ_CHECK(job.links && job.links->unresolved == unresolved && unresolved > 0)
          << "a blocked job waits for exactly its unresolved parents, job " << id.ToString();
    }
    if (!job.links) {
      continue;
    }
    uint32_t blocked_children = 0;
    for (const JobId& child : job.links->children) {
      auto child_it = jobs_.find(child);
      if (child_it != jobs_.end() && child_it->second.state == wire::JOB_STATE_BLOCKED) {
        ++blocked_children;
      }
    }
    JOBQ_CHECK(job.links->blocked_children == blocked_children)
        << "blocked_children counts the blocked children";
    if (job.state == wire::JOB_STATE_QUEUED || job.state == wire::JOB_STATE_RUNNING) {
      JOBQ_CHECK(job.spec.after_size() == 0 || !job.links->inputs.empty())
          << "a released job has its inputs";
    }
    if (job.links->workflow) {
      JOBQ_CHECK(workflows_.count(*job.links->workflow) == 1) << "a node's workflow is kept";
      ++counted[*job.links->workflow][job.state];
    }
  }
  std::array<uint64_t, ::jobq::admin::WorkflowState_ARRAYSIZE> states{};
  for (const auto& [id, workflow] : workflows_) {
    std::array<uint32_t, wire::JobState_ARRAYSIZE> expected{};
    if (auto found = counted.find(id); found != counted.end()) {
      expected = found->second;
    }
    JOBQ_CHECK(expected == workflow.counts) << "a workflow counts its nodes by state";
    uint32_t unfinished = 0;
    uint32_t total = 0;
    for (size_t state = 0; state < expected.size(); ++state) {
      total += expected[state];
      if (!IsTerminal(static_cast<wire::JobState>(state))) {
        unfinished += expected[state];
      }
    }
    JOBQ_CHECK(total == workflow.nodes.size()) << "a workflow keeps every node it lists";
    JOBQ_CHECK(unfinished == workflow.unfinished) << "a workflow counts its unfinished nodes";
    JOBQ_CHECK((workflow.unfinished == 0) == (workflow.finished_ms != 0))
        << "a workflow is finished exactly when every node is";
    JOBQ_CHECK(workflow.counted_as == workflow.State()) << "a workflow is counted under its state";
    ++states[workflow.State()];
  }
  JOBQ_CHECK(states == workflow_states_) << "workflows are counted once, by state";
}

}  // namespace jobq::broker::core
