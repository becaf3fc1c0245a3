// BrokerCore: what operators ask through the admin service — cancel (shared
// with a producer's CANCEL), purge, pause and resume, drain a worker — and
// the status, queue, worker (recently dead too) and job listings. Separate:
// the admin service calls these directly, not through a message.

#include <algorithm>

#include "broker/core/broker_core.h"
#include "common/check.h"

namespace jobq::broker::core {

CancelOutcome BrokerCore::CancelJob(const JobId& id, TimeMs now_ms, Effects* effects) {
  return CancelJobBy(id, "an operator", now_ms, effects);
}

CancelOutcome BrokerCore::CancelJobBy(const JobId& id, const char* by, TimeMs now_ms,
                                      Effects* effects) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return CancelOutcome::kUnknownJob;
  }
  Job& job = it->second;
  switch (job.state) {
    case wire::JOB_STATE_QUEUED:
    case wire::JOB_STATE_SCHEDULED:
    case wire::JOB_STATE_BLOCKED:
      // Its ready-queue or timer entry is skipped when it comes up.
      job.error.set_type(kCancelledErrorType);
      job.error.set_message(std::string("cancelled by ") + by + " before it ran");
      Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
      return CancelOutcome::kCancelled;
    case wire::JOB_STATE_RUNNING: {
      if (orphans_.erase(id) == 1) {
        // Recovered as running, its worker not back since the restart:
        // nothing runs it that could be told, so it ends here. Should that
        // worker still report it, the result is late and ignored.
        ReleaseLease(job);
        job.error.set_type(kCancelledErrorType);
        job.error.set_message(std::string("cancelled by ") + by + " while its worker was away");
        Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
        return CancelOutcome::kCancelled;
      }
      if (job.cancel_requested) {
        return CancelOutcome::kCancelRequested;
      }
      job.cancel_requested = true;
      effects->JobChanged(job.id);  // persisted: a restart must not undo it
      auto cancel = std::make_unique<wire::Cancel>();
      cancel->add_ids(std::string(job.id.Bytes()));
      effects->Send(Socket::kBackend, job.leased_to, Command::kWorkerCancel, std::move(cancel));
      return CancelOutcome::kCancelRequested;
    }
    default:
      return CancelOutcome::kAlreadyFinished;
  }
}

std::optional<size_t> BrokerCore::PurgeQueue(const std::string& queue, TimeMs now_ms,
                                             Effects* effects) {
  if (queues_.count(queue) == 0) {
    return std::nullopt;
  }
  // From the index, in id order: no walk over every kept job.
  std::vector<JobId> waiting;
  for (wire::JobState state : {wire::JOB_STATE_QUEUED, wire::JOB_STATE_SCHEDULED}) {
    JobFilter filter;
    filter.state = state;
    filter.queue = queue;
    index_.Candidates(filter, index_.size(), [&](const JobId& id) {
      waiting.push_back(id);
      return true;
    });
  }
  std::sort(waiting.begin(), waiting.end());
  for (const JobId& id : waiting) {
    const CancelOutcome outcome = CancelJob(id, now_ms, effects);
    JOBQ_CHECK(outcome == CancelOutcome::kCancelled) << "a waiting job cancels at once";
  }
  return waiting.size();
}

QueueControlOutcome BrokerCore::PauseQueue(const std::string& queue) {
  QueueState& state = QueueNamed(queue);
  if (state.paused) {
    return QueueControlOutcome::kAlreadyPaused;
  }
  state.paused = true;
  return QueueControlOutcome::kDone;
}

QueueControlOutcome BrokerCore::ResumeQueue(const std::string& queue) {
  auto found = queues_.find(queue);
  if (found == queues_.end()) {
    return QueueControlOutcome::kUnknownQueue;
  }
  if (!found->second.paused) {
    return QueueControlOutcome::kNotPaused;
  }
  found->second.paused = false;
  dispatch_pending_ = true;
  return QueueControlOutcome::kDone;
}

bool BrokerCore::QueuePaused(const std::string& queue) const {
  auto found = queues_.find(queue);
  return found != queues_.end() && found->second.paused;
}

DrainOutcome BrokerCore::DrainWorker(const std::string& name, Effects* effects,
                                     std::vector<std::string>* queues) {
  auto by_name = worker_by_name_.find(name);
  if (by_name == worker_by_name_.end()) {
    return DrainOutcome::kUnknownWorker;
  }
  WorkerInfo& worker = workers_.at(by_name->second);
  if (worker.draining()) {
    return DrainOutcome::kAlreadyDraining;
  }
  // The same SENTINEL a queue's sentinel sends, once per queue: the worker
  // stops taking that queue's jobs, and exits once it has none left and
  // holds nothing. The queues' own sentinels stay where they are.
  for (const std::string& queue : worker.queues) {
    auto sentinel = std::make_unique<wire::Sentinel>();
    sentinel->set_queue(queue);
    effects->Send(Socket::kBackend, worker.routing_id, Command::kWorkerSentinel,
                  std::move(sentinel));
  }
  if (queues != nullptr) {
    *queues = worker.queues;
  }
  worker.queues.clear();
  return DrainOutcome::kDraining;
}

void BrokerCore::FillStatus(TimeMs now_ms, admin::GetStatusResponse* status) const {
  status->set_uptime_ms(started_ms_ < 0 ? 0 : now_ms - started_ms_);
  status->set_jobs_kept(jobs_.size());
  status->set_shutting_down(shutting_down_);
  std::map<std::string, QueueDepth> depths;
  for (const auto& [name, queue] : queues_) {
    depths[name] = {index_.Count(name, wire::JOB_STATE_QUEUED),
                    index_.Count(name, wire::JOB_STATE_SCHEDULED),
                    index_.Count(name, wire::JOB_STATE_RUNNING)};
  }
  stats_.Fill(now_ms, started_ms_, depths, status->mutable_figures());
  // Shared with ListQueues and ListWorkers (FillQueues, FillWorkers).
  for (const auto& [name, queue] : queues_) {
    FillQueueStatus(name, queue, status->add_queues());
  }
  for (const auto& [id, worker] : workers_) {
    FillWorkerStatus(worker, now_ms, status->add_workers());
  }
  admin::Counters& counters = *status->mutable_counters();
  counters.set_submitted(counters_.submitted);
  counters.set_succeeded(counters_.succeeded);
  counters.set_failed(counters_.failed);
  counters.set_requeued(counters_.requeued);
  counters.set_rejected(counters_.rejected);
  counters.set_bad_messages(counters_.bad_messages);
  counters.set_late_results(counters_.late_results);
  FillSchedules(kSchedulesInStatusMax, status->mutable_schedules());
  status->set_schedules_total(static_cast<uint32_t>(schedules_.size()));
  counters.set_progress_accepted(counters_.progress_accepted);
  counters.set_progress_late(counters_.progress_late);
  counters.set_progress_refused(counters_.progress_refused);
  counters.set_workflows_submitted(counters_.workflows_submitted);
  counters.set_workflows_rejected(counters_.workflows_rejected);
  counters.set_jobs_released(counters_.released);
  counters.set_upstream_cancelled(counters_.upstream_cancelled);
  const auto by_state = WorkflowStateCounts();
  admin::WorkflowCounts& workflows = *status->mutable_workflows();
  workflows.set_running(by_state[admin::WORKFLOW_STATE_RUNNING]);
  workflows.set_succeeded(by_state[admin::WORKFLOW_STATE_SUCCEEDED]);
  workflows.set_failed(by_state[admin::WORKFLOW_STATE_FAILED]);
  workflows.set_cancelled(by_state[admin::WORKFLOW_STATE_CANCELLED]);
}

void BrokerCore::FillQueueStatus(const std::string& name, const QueueState& queue,
                                 ::jobq::admin::QueueStatus* out) const {
  out->set_name(name);
  out->set_queued(index_.Waiting(name));
  out->set_running(index_.Count(name, wire::JOB_STATE_RUNNING));
  out->set_sentinels(queue.ready.sentinels());
  uint32_t serving = 0;
  for (const auto& [id, worker] : workers_) {
    serving += worker.Serves(name) ? 1 : 0;
  }
  out->set_workers(serving);
  out->set_paused(queue.paused);
  out->set_finished(queue.finished);
  if (TimeMs token_ms = 0; HeadLimited(name, queue, &token_ms)) {
    out->set_limited(true);
    out->set_next_token_ms(token_ms);
  }
}

void BrokerCore::FillWorkerStatus(const WorkerInfo& worker, TimeMs now_ms,
                                  ::jobq::admin::WorkerStatus* out) {
  out->set_name(worker.name);
  out->set_host(worker.host);
  out->set_pid(worker.pid);
  for (const std::string& queue : worker.queues) {
    out->add_queues(queue);
  }
  for (wire::Kind kind : {wire::KIND_IO, wire::KIND_CPU}) {
    if (worker.capacity[kind] == 0) {
      continue;
    }
    ::jobq::admin::PoolStatus& pool = *out->add_pools();
    pool.set_kind(kind == wire::KIND_IO ? "io" : "cpu");
    pool.set_capacity(worker.capacity[kind]);
    uint32_t in_flight = 0;
    for (const wire::PoolLoad& load : worker.last_heartbeat.pools()) {
      if (load.kind() == kind) {
        in_flight = load.in_flight();
      }
    }
    pool.set_in_flight(in_flight);
  }
  out->set_cpu_percent(worker.last_heartbeat.cpu_percent());
  out->set_rss_bytes(worker.last_heartbeat.rss_bytes());
  out->set_jobs_done(worker.jobs_done);
  out->set_jobs_failed(worker.jobs_failed);
  out->set_last_heartbeat_ms_ago(now_ms - worker.last_seen_ms);
  out->set_state(worker.draining() ? "draining" : "active");
}

void BrokerCore::FillQueues(::jobq::admin::ListQueuesResponse* response) const {
  for (const auto& [name, queue] : queues_) {
    FillQueueStatus(name, queue, response->add_queues());
  }
}

void BrokerCore::FillWorkers(TimeMs now_ms, ::jobq::admin::ListWorkersResponse* response) const {
  for (const auto& [id, worker] : workers_) {
    FillWorkerStatus(worker, now_ms, response->add_workers());
  }
  for (const DeadWorker& dead : dead_workers_) {
    if (now_ms - dead.died_ms > kDeadWorkerKeepMs) {
      break;  // newest first: the rest are older
    }
    if (worker_by_name_.count(dead.status.name()) > 0) {
      continue;  // it came back
    }
    ::jobq::admin::WorkerStatus& out = *response->add_workers();
    out = dead.status;
    out.set_last_heartbeat_ms_ago(now_ms - dead.last_seen_ms);
  }
}

void BrokerCore::RememberDeadWorker(const WorkerInfo& worker, TimeMs now_ms) {
  DeadWorker dead;
  FillWorkerStatus(worker, now_ms, &dead.status);
  dead.status.set_state("dead");
  // Its pools held nothing any more: its jobs went back to their queues.
  for (::jobq::admin::PoolStatus& pool : *dead.status.mutable_pools()) {
    pool.set_in_flight(0);
  }
  dead.last_seen_ms = worker.last_seen_ms;
  dead.died_ms = now_ms;
  // One entry per name: a worker that died twice shows its latest death.
  std::erase_if(dead_workers_,
                [&](const DeadWorker& old) { return old.status.name() == worker.name; });
  dead_workers_.push_front(std::move(dead));
  while (dead_workers_.size() > kDeadWorkersMax ||
         (!dead_workers_.empty() && now_ms - dead_workers_.back().died_ms > kDeadWorkerKeepMs)) {
    dead_workers_.pop_back();
  }
}

JobPage BrokerCore::ListJobs(const JobFilter& filter) const {
  JobPage page;
  if (filter.limit == 0) {
    return page;
  }
  bool more = false;
  size_t examined = 0;
  const std::optional<JobId> last =
      index_.Candidates(filter, kListExamineMax, [&](const JobId& id) {
        ++examined;
        const Job& job = jobs_.at(id);
        if (job.state != filter.state && filter.state != wire::JOB_STATE_UNSPECIFIED) {
          return true;
        }
        if (!filter.queue.empty() && job.spec.queue() != filter.queue) {
          return true;
        }
        if (!filter.task.empty() && job.spec.task() != filter.task) {
          return true;
        }
        if (page.jobs.size() == filter.limit) {
          more = true;  // one past the page: another follows
          return false;
        }
        page.jobs.push_back(&job);
        return true;
      });
  if (more) {
    page.next_after = page.jobs.back()->id;
  } else if (examined == kListExamineMax && last) {
    // Stopped looking, not out of jobs: the next page goes on from here.
    page.next_after = last;
  }
  return page;
}

}  // namespace jobq::broker::core
