// BrokerCore: leases — an attempt is leased to one worker (and sent in its
// DISPATCH), renewed by its heartbeats, and lost on expiry, on the worker's
// loss (missed heartbeats, BYE) or a refusal; a result after that is late.
// Separate: every rule that keeps one attempt on at most one worker is here.

#include <algorithm>

#include "broker/core/broker_core.h"
#include "broker/core/workflow_inputs.h"
#include "common/check.h"

namespace jobq::broker::core {

TimeMs BrokerCore::LivenessWindowMs() const {
  return static_cast<TimeMs>(options_.heartbeat_interval_ms) * options_.liveness_misses;
}

TimeMs BrokerCore::LeaseExpiry(const Job& job, TimeMs now_ms) const {
  const TimeMs covered = job.spec.timeout_ms() > 0 ? job.spec.timeout_ms() : LivenessWindowMs();
  return now_ms + covered + options_.lease_grace_ms;
}

void BrokerCore::Lease(Job& job, WorkerInfo& worker, wire::Kind pool, TimeMs now_ms,
                       Effects* effects) {
  ++worker.dispatched[pool];
  worker.UpdateCredit(pool);
  ++job.attempt;
  job.progress = JobProgress();  // a new attempt starts unreported
  Transition(job, wire::JOB_STATE_RUNNING, now_ms);
  job.leased_to = worker.routing_id;
  job.started_ms = now_ms;
  job.lease_expires_ms = LeaseExpiry(job, now_ms);
  worker.leased.insert(job.id);
  effects->JobChanged(job.id);

  wire::Dispatch& dispatch = effects->DispatchFor(worker.routing_id);
  JOBQ_CHECK(dispatch.jobs_size() == 0 || dispatch.registration() == worker.registration)
      << "one DISPATCH carries the jobs of one registration";
  dispatch.set_registration(worker.registration);
  dispatch.set_broker(broker_instance_);
  wire::DispatchedJob& out = *dispatch.add_jobs();
  out.set_id(std::string(job.id.Bytes()));
  out.set_queue(job.spec.queue());
  out.set_task(job.spec.task());
  if (job.links && !job.links->inputs.empty()) {
    out.set_payload(MergeInputs(job.spec.payload(), job.links->inputs));
  } else {
    out.set_payload(job.spec.payload());
  }
  out.set_content_type(job.spec.content_type().empty() ? kDefaultContentType
                                                       : job.spec.content_type());
  out.set_kind(pool);
  out.set_attempt(job.attempt);
  out.set_timeout_ms(job.spec.timeout_ms());
}

void BrokerCore::RenewLeases(WorkerInfo& worker, const wire::Heartbeat& heartbeat, TimeMs now_ms) {
  for (const std::string& raw_id : heartbeat.holding()) {
    std::optional<JobId> id = JobId::FromBytes(raw_id);
    if (!id || worker.leased.count(*id) == 0) {
      continue;
    }
    Job& job = jobs_.at(*id);
    // A job with a timeout keeps the lease it got: the worker reports a
    // timeout by then, so one still running past it is stuck or lost.
    if (job.spec.timeout_ms() <= 0) {
      job.lease_expires_ms = LeaseExpiry(job, now_ms);
    }
  }
}

void BrokerCore::ReleaseLease(Job& job) {
  auto worker = workers_.find(job.leased_to);
  if (worker != workers_.end()) {
    worker->second.leased.erase(job.id);
  }
  job.leased_to.clear();
  job.lease_expires_ms = 0;
  if (skip_attempt_.erase(job.id) == 1) {
    ++job.attempt;
  }
}

void BrokerCore::LoseLease(Job& job, LeaseLoss loss, TimeMs now_ms, Effects* effects) {
  ReleaseLease(job);
  stats_.OnLeaseLost(job, now_ms);
  if (job.cancel_requested) {
    // Cancelled while it ran: not run again.
    job.error.set_type(kCancelledErrorType);
    job.error.set_message("cancelled while it ran; its worker went away");
    Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
    return;
  }
  if (loss == LeaseLoss::kWorkerDied && ++job.worker_crashes >= options_.poison_after) {
    job.error.set_type("poison");
    job.error.set_message("the job was running on " + std::to_string(job.worker_crashes) +
                          " workers whose process ended (crashed, killed, or silent past the "
                          "liveness window); it is held dead rather than let it end more "
                          "(--poison-after)");
    Finish(job, wire::JOB_STATE_DEAD, now_ms, effects);
    return;
  }
  if (loss == LeaseLoss::kExpired && ++job.lost_leases >= options_.lost_leases_max) {
    job.error.set_type("worker_lost");
    job.error.set_message("the job's lease ran out " + std::to_string(job.lost_leases) +
                          " times on live workers (its result never came)");
    Finish(job, wire::JOB_STATE_DEAD, now_ms, effects);
    return;
  }
  ++counters_.requeued;
  Enqueue(job, /*at_front=*/true, now_ms, effects);
}

void BrokerCore::Refused(Job& job, TimeMs now_ms, Effects* effects) {
  ++counters_.refused;
  // Not a failure, and no attempt spent: the job never ran. The worker
  // credits its slot back only a heartbeat later, so until then the
  // broker's count of its free slots is what the worker can really take.
  LoseLease(job, LeaseLoss::kHandedBack, now_ms, effects);
}

void BrokerCore::LateResult(Job& job, const wire::JobResult& result, TimeMs now_ms,
                            Effects* effects) {
  // A success of an attempt the broker gave up on (its worker was declared
  // dead, or its lease expired) still means the work is done: take it
  // instead of running the job again. Failures of such attempts, and
  // anything for a finished job, are ignored: the job is being retried
  // already, or has its one outcome.
  const bool taken_back =
      result.attempt() >= 1 && result.attempt() <= job.attempt &&
      !(job.state == wire::JOB_STATE_RUNNING && result.attempt() == job.attempt);
  if (!result.ok() || IsTerminal(job.state) || !taken_back ||
      result.result().size() > options_.result_bytes_max) {
    ++counters_.late_results;
    return;
  }
  switch (job.state) {
    case wire::JOB_STATE_RUNNING: {
      // A later attempt runs somewhere: stop it.
      auto cancel = std::make_unique<wire::Cancel>();
      cancel->add_ids(std::string(job.id.Bytes()));
      effects->Send(Socket::kBackend, job.leased_to, Command::kWorkerCancel, std::move(cancel));
      orphans_.erase(job.id);
      ReleaseLease(job);
      break;
    }
    default:
      // Queued or scheduled: its ready-queue or timer entry is skipped when
      // it comes up.
      break;
  }
  job.result = result.result();
  job.result_content_type = result.content_type();
  job.error.Clear();
  Finish(job, wire::JOB_STATE_SUCCEEDED, now_ms, effects);
}

void BrokerCore::ExpireLeases(TimeMs now_ms, Effects* effects) {
  // (id, whether a live worker held it). Orphans' workers did not come back
  // after a broker restart; that is not the job's doing, so not counted.
  std::vector<std::pair<JobId, bool>> expired;
  for (const auto& [routing_id, worker] : workers_) {
    for (const JobId& id : worker.leased) {
      if (jobs_.at(id).lease_expires_ms <= now_ms) {
        expired.emplace_back(id, true);
      }
    }
  }
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    if (it->second <= now_ms) {
      expired.emplace_back(it->first, false);
      it = orphans_.erase(it);
    } else {
      ++it;
    }
  }
  // Requeued at the front newest first, so the oldest ends up first.
  std::sort(expired.rbegin(), expired.rend());
  for (const auto& [id, held_by_live_worker] : expired) {
    Job& job = jobs_.at(id);
    if (held_by_live_worker) {
      ++counters_.leases_expired;
      // It may still be running there: stop it, the job will run elsewhere.
      auto cancel = std::make_unique<wire::Cancel>();
      cancel->add_ids(std::string(id.Bytes()));
      effects->Send(Socket::kBackend, job.leased_to, Command::kWorkerCancel, std::move(cancel));
    }
    LoseLease(job, held_by_live_worker ? LeaseLoss::kExpired : LeaseLoss::kOrphaned, now_ms,
              effects);
  }
}

void BrokerCore::CheckLiveness(TimeMs now_ms, Effects* effects) {
  const TimeMs silence_max_ms =
      static_cast<TimeMs>(options_.heartbeat_interval_ms) * options_.liveness_misses;
  std::vector<std::string> dead;
  for (const auto& [routing_id, worker] : workers_) {
    if (now_ms - worker.last_seen_ms > silence_max_ms) {
      dead.push_back(routing_id);
    }
  }
  for (const std::string& routing_id : dead) {
    ++counters_.workers_lost;
    RememberDeadWorker(workers_.at(routing_id), now_ms);
    RemoveWorker(routing_id, LeaseLoss::kWorkerDied, now_ms, effects);  // missed heartbeats
  }
}

void BrokerCore::RemoveWorker(const std::string& routing_id, LeaseLoss loss, TimeMs now_ms,
                              Effects* effects) {
  auto found = workers_.find(routing_id);
  if (found == workers_.end()) {
    return;
  }
  // Requeued in id order (= submit order) so PushFront leaves the oldest first.
  std::vector<JobId> leased(found->second.leased.begin(), found->second.leased.end());
  std::sort(leased.rbegin(), leased.rend());
  for (const JobId& id : leased) {
    LoseLease(jobs_.at(id), loss, now_ms, effects);
  }
  if (auto by_name = worker_by_name_.find(found->second.name);
      by_name != worker_by_name_.end() && by_name->second == routing_id) {
    worker_by_name_.erase(by_name);
  }
  if (rr_cursor_ == routing_id) {
    rr_cursor_.clear();
  }
  workers_.erase(found);
}

void BrokerCore::SendHeartbeats(Effects* effects) {
  for (const auto& [routing_id, worker] : workers_) {
    effects->Send(Socket::kBackend, routing_id, Command::kBrokerHeartbeat,
                  std::make_unique<wire::Heartbeat>());
  }
}

}  // namespace jobq::broker::core
