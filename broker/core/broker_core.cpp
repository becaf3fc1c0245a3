// BrokerCore: construction, Restore, the message entry points (decode a
// body, route it to the concept's file), Tick and its timers, the job state
// changes every concept goes through (Transition, Schedule, Finish), lookups
// and the invariants: what ties the concept files together.

#include "broker/core/broker_core.h"

#include <algorithm>

#include "broker/core/core_helpers.h"
#include "common/check.h"

namespace jobq::broker::core {
namespace {

// RESULT bodies up to this size are parsed into one reused message.
constexpr size_t kResultsScratchBytesMax = 1 << 20;

// Dead jobs are kept for `jobq retry` longer than results are for readers.
TimeMs ExpiryOf(const Job& job, const CoreOptions& options) {
  if (job.state == wire::JOB_STATE_DEAD) {
    return job.finished_ms + std::max(options.dead_ttl_ms, job.spec.result_ttl_ms());
  }
  return job.finished_ms +
         (job.spec.result_ttl_ms() > 0 ? job.spec.result_ttl_ms() : options.result_ttl_ms);
}

// splitmix64's finaliser: distinct seeds (one per broker start) give
// distinct, well-spread broker instances.
uint64_t BrokerInstanceFrom(uint64_t seed) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) | 1;
}

}  // namespace

BrokerCore::BrokerCore(const CoreOptions& options)
    : options_(options),
      id_generator_(options.seed),
      jitter_(options.seed),
      broker_instance_(BrokerInstanceFrom(options.seed)) {}

void BrokerCore::OnMalformed(Socket socket, const std::string& routing_id, wire::ErrorCode code,
                             const std::string& text, Effects* effects) {
  ++counters_.bad_messages;
  if (!routing_id.empty()) {
    effects->SendError(socket, routing_id, code, text);
  }
}

void BrokerCore::OnClientMessage(const std::string& client, Command command, std::string_view body,
                                 TimeMs now_ms, Effects* effects) {
  auto bad_body = [&](const char* what) {
    OnMalformed(Socket::kFrontend, client, wire::ERROR_CODE_BAD_BODY,
                std::string("body of ") + CommandName(command) + " does not decode as " + what,
                effects);
  };
  switch (command) {
    case Command::kSubmit: {
      wire::Submit submit;
      if (!submit.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Submit");
      }
      if (static_cast<size_t>(submit.jobs_size()) > options_.jobs_per_submit_max) {
        ++counters_.rejected;
        // The limit travels in fields of its own, so a client can split
        // the batch and send it again without parsing the text.
        auto error = std::make_unique<wire::Error>();
        error->set_code(wire::ERROR_CODE_TOO_LARGE);
        error->set_text("SUBMIT carries " + std::to_string(submit.jobs_size()) +
                        " jobs; the limit is " + std::to_string(options_.jobs_per_submit_max) +
                        " per message (--batch-max): split the batch");
        error->set_first_seq(submit.first_seq());
        error->set_batch_max(static_cast<uint32_t>(options_.jobs_per_submit_max));
        effects->Send(Socket::kFrontend, client, Command::kError, std::move(error));
        return;
      }
      return Submit(client, submit, now_ms, effects);
    }
    case Command::kSubmitWorkflow: {
      wire::SubmitWorkflow workflow;
      if (!workflow.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.SubmitWorkflow");
      }
      return SubmitWorkflow(client, workflow, now_ms, effects);
    }
    case Command::kSentinel: {
      wire::Sentinel sentinel;
      if (!sentinel.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Sentinel");
      }
      const std::string& queue_name = sentinel.queue().empty() ? kDefaultQueue : sentinel.queue();
      if (std::string full = SentinelRoomFor(queue_name); !full.empty()) {
        ++counters_.rejected;
        effects->SendError(Socket::kFrontend, client, wire::ERROR_CODE_QUEUE_FULL, full);
        return;
      }
      AddSentinel(queue_name, now_ms, effects);
      // Acknowledged like a job, once it is in the queue (and committed).
      wire::Submitted& submitted = effects->SubmittedFor(client);
      submitted.set_sentinels(submitted.sentinels() + 1);
      return;
    }
    case Command::kWait: {
      wire::Wait wait;
      if (!wait.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Wait");
      }
      return Wait(client, wait, effects);
    }
    case Command::kCancel: {
      wire::Cancel cancel;
      if (!cancel.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Cancel");
      }
      return Cancel(client, cancel, now_ms, effects);
    }
    default:
      OnMalformed(Socket::kFrontend, client, wire::ERROR_CODE_BAD_COMMAND,
                  std::string(CommandName(command)) + " is not a client command", effects);
  }
}

void BrokerCore::OnWorkerMessage(const std::string& routing_id, Command command,
                                 std::string_view body, TimeMs now_ms, Effects* effects) {
  auto bad_body = [&](const char* what) {
    OnMalformed(Socket::kBackend, routing_id, wire::ERROR_CODE_BAD_BODY,
                std::string("body of ") + CommandName(command) + " does not decode as " + what,
                effects);
  };
  if (command == Command::kHello) {
    wire::Hello hello;
    if (!hello.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return bad_body("jobq.wire.Hello");
    }
    if (std::string refused = RefuseHello(routing_id, hello); !refused.empty()) {
      effects->SendError(Socket::kBackend, routing_id, wire::ERROR_CODE_TOO_LARGE, refused);
      return;
    }
    return Hello(routing_id, hello, now_ms, effects);
  }
  auto found = workers_.find(routing_id);
  if (found == workers_.end()) {
    // A worker this broker does not know: declared dead, or a broker restart
    // in between. It must introduce itself again before anything counts.
    if (command != Command::kBye) {
      effects->Send(Socket::kBackend, routing_id, Command::kReconnect,
                    std::make_unique<wire::Empty>());
    }
    return;
  }
  WorkerInfo& worker = found->second;
  worker.last_seen_ms = now_ms;
  switch (command) {
    case Command::kCredit: {
      wire::Credit credit;
      if (!credit.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Credit");
      }
      return Credit(worker, credit);
    }
    case Command::kWorkerResult: {
      // Parsed into the same message every time: its results and their
      // strings stay allocated, so a steady stream of RESULTs allocates
      // nothing per job here.
      if (!results_scratch_.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.WorkerResults");
      }
      Results(worker, results_scratch_, now_ms, effects);
      // A big RESULT would keep its buffers in the scratch message for good.
      if (body.size() > kResultsScratchBytesMax) {
        results_scratch_ = wire::WorkerResults();
      }
      return;
    }
    case Command::kWorkerHeartbeat: {
      wire::Heartbeat heartbeat;
      if (!heartbeat.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Heartbeat");
      }
      if (heartbeat.draining() && !worker.queues.empty()) {
        // It finishes what it holds; nothing new goes to it.
        worker.queues.clear();
      }
      RenewLeases(worker, heartbeat, now_ms);
      heartbeat.clear_holding();  // kept for status; the ids are of no more use
      worker.last_heartbeat = std::move(heartbeat);
      return;
    }
    case Command::kProgress: {
      wire::Progress progress;
      if (!progress.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Progress");
      }
      return Progress(worker, progress, now_ms, effects);
    }
    case Command::kBye:
      // Said goodbye, handing back what it held (a second SIGTERM).
      return RemoveWorker(routing_id, LeaseLoss::kHandedBack, now_ms, effects);
    default:
      OnMalformed(Socket::kBackend, routing_id, wire::ERROR_CODE_BAD_COMMAND,
                  std::string(CommandName(command)) + " is not a worker command", effects);
  }
}

void BrokerCore::Restore(std::vector<Job> jobs, std::vector<SentinelMark> sentinels,
                         TimeMs now_ms) {
  // Queued jobs and sentinels go back in id order, which is the order they
  // were accepted in, so every sentinel is again behind the jobs before it.
  // The jobs' order is sorted, not the jobs: moving a million Jobs about was
  // most of a takeover's load time.
  std::vector<std::pair<JobId, size_t>> order;
  order.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    order.emplace_back(jobs[i].id, i);
  }
  std::sort(order.begin(), order.end());
  jobs_.reserve(jobs_.size() + jobs.size());
  std::sort(sentinels.begin(), sentinels.end(),
            [](const SentinelMark& a, const SentinelMark& b) { return a.id < b.id; });
  size_t next_sentinel = 0;
  auto restore_sentinels_before = [&](const std::optional<JobId>& id) {
    for (; next_sentinel < sentinels.size() && (!id || sentinels[next_sentinel].id < *id);
         ++next_sentinel) {
      const SentinelMark& sentinel = sentinels[next_sentinel];
      QueueNamed(sentinel.queue).ready.PushSentinel(sentinel.id);
      dispatch_pending_ = true;
    }
  };
  const TimeMs orphan_deadline_ms = now_ms + LivenessWindowMs() + options_.lease_grace_ms;
  std::vector<JobId> restored_ids;
  restored_ids.reserve(jobs.size());
  for (const auto& [id, index] : order) {
    restore_sentinels_before(id);
    Job& recovered = jobs[index];
    recovered.watchers.clear();
    auto [it, inserted] = jobs_.emplace(recovered.id, std::move(recovered));
    if (!inserted) {
      continue;
    }
    Job& job = it->second;
    restored_ids.push_back(job.id);
    stats_.OnRestored(job);
    Admit(job);
    QueueState& queue = QueueNamed(job.spec.queue());
    if (job.state == wire::JOB_STATE_QUEUED || job.state == wire::JOB_STATE_SCHEDULED) {
      // The loop sends DISPATCH before the commit that records it, so this
      // job may have gone to a worker as attempt + 1 just before the crash:
      // skip that number, so that no two workers ever run the same attempt
      // and a late success of that one is recognised as taken back.
      ++job.attempt;
    }
    switch (job.state) {
      case wire::JOB_STATE_SCHEDULED:
        if (job.scheduled_ms == 0) {
          job.scheduled_ms = job.spec.not_before_ms();
        }
        scheduled_.push({job.scheduled_ms, job.id});
        break;
      case wire::JOB_STATE_QUEUED:
        queue.ready.Push(job.id, job.spec.priority());
        dispatch_pending_ = true;
        break;
      case wire::JOB_STATE_BLOCKED:
        break;  // RelinkRestored counts its parents
      case wire::JOB_STATE_RUNNING:
        // Its worker may still be running it and will say so in HELLO.
        skip_attempt_.insert(job.id);
        job.lease_expires_ms = orphan_deadline_ms;
        orphans_.emplace(job.id, orphan_deadline_ms);
        break;
      default:
        job.expires_ms = ExpiryOf(job, options_);
        expiry_.push({job.expires_ms, job.id});
        break;
    }
  }
  restore_sentinels_before(std::nullopt);
  RelinkRestored(restored_ids, now_ms);
}

TimeMs BrokerCore::Tick(TimeMs now_ms, Effects* effects) {
  if (started_ms_ < 0) {
    started_ms_ = now_ms;
    next_heartbeat_ms_ = now_ms + options_.heartbeat_interval_ms;
    next_liveness_check_ms_ = now_ms + options_.heartbeat_interval_ms;
  }
  while (!scheduled_.empty() && scheduled_.top().due_ms <= now_ms) {
    JobId id = scheduled_.top().id;
    scheduled_.pop();
    auto it = jobs_.find(id);
    // Skips entries made stale by a cancel or a later reschedule.
    if (it != jobs_.end() && it->second.state == wire::JOB_STATE_SCHEDULED &&
        it->second.scheduled_ms <= now_ms) {
      Enqueue(it->second, /*at_front=*/false, now_ms, effects);
    }
  }
  FireDueSchedules(now_ms, effects);
  while (!expiry_.empty() && expiry_.top().due_ms <= now_ms) {
    JobId id = expiry_.top().id;
    expiry_.pop();
    auto it = jobs_.find(id);
    // A job retried after its entry was made is not terminal, or expires
    // later; one held for its links comes back through RecheckExpiry.
    if (it != jobs_.end() && IsTerminal(it->second.state) && it->second.expires_ms <= now_ms &&
        !HeldForLinks(it->second)) {
      Forget(it->second);
      jobs_.erase(it);
      effects->JobErased(id);
    }
  }
  ExpireWorkflows(now_ms, effects);
  if (!restore_changes_.empty() || !restore_workflows_erased_.empty()) {
    for (const JobId& id : restore_changes_) {
      effects->JobChanged(id);
    }
    for (const JobId& id : restore_workflows_erased_) {
      effects->WorkflowErased(id);
    }
    restore_changes_.clear();
    restore_workflows_erased_.clear();
  }
  if (now_ms >= next_liveness_check_ms_) {
    CheckLiveness(now_ms, effects);
    ExpireLeases(now_ms, effects);
    // Four checks per interval bound how late a death is noticed.
    next_liveness_check_ms_ = now_ms + std::max<TimeMs>(1, options_.heartbeat_interval_ms / 4);
  }
  if (now_ms >= next_heartbeat_ms_) {
    SendHeartbeats(effects);
    next_heartbeat_ms_ = now_ms + options_.heartbeat_interval_ms;
  }
  now_ms_ = now_ms;
  if (next_limit_wake_ms_ != 0 && next_limit_wake_ms_ <= now_ms) {
    next_limit_wake_ms_ = 0;  // Pump sets it again for what is still held
    dispatch_pending_ = true;
  }
  Pump(now_ms, effects);

  TimeMs next_ms = std::min(next_heartbeat_ms_, next_liveness_check_ms_);
  if (next_limit_wake_ms_ != 0) {
    next_ms = std::min(next_ms, next_limit_wake_ms_);
  }
  if (!scheduled_.empty()) {
    next_ms = std::min(next_ms, scheduled_.top().due_ms);
  }
  if (!expiry_.empty()) {
    next_ms = std::min(next_ms, expiry_.top().due_ms);
  }
  if (!workflow_expiry_.empty()) {
    next_ms = std::min(next_ms, workflow_expiry_.top().due_ms);
  }
  if (!schedule_timers_.empty()) {
    next_ms = std::min(next_ms, schedule_timers_.top().due_ms);
  }
  return next_ms;
}

void BrokerCore::Transition(Job& job, wire::JobState to, TimeMs now_ms) {
  const bool was_running = job.state == wire::JOB_STATE_RUNNING;
  if (!limits_.empty() && was_running != (to == wire::JOB_STATE_RUNNING)) {
    CountRunning(job, was_running ? -1 : 1, /*restored=*/false);
  }
  if (job.links) {
    LinksTransition(job, to, now_ms);
  }
  stats_.OnTransition(job, to, now_ms);
  index_.Move(job, to);
  job.state = to;
}

void BrokerCore::Admit(const Job& job) {
  if (!limits_.empty() && job.state == wire::JOB_STATE_RUNNING) {
    CountRunning(job, 1, /*restored=*/true);
  }
  index_.Add(job);
  IndexKeys(job);
  if (job.links && job.links->workflow) {
    CountNode(job, std::nullopt, job.state);
  }
}

void BrokerCore::Forget(const Job& job) {
  if (!limits_.empty() && job.state == wire::JOB_STATE_RUNNING) {
    CountRunning(job, -1, /*restored=*/false);
  }
  UnindexKeys(job);
  index_.Remove(job);
  if (job.links && job.links->workflow) {
    CountNode(job, job.state, std::nullopt);
  }
}

void BrokerCore::Schedule(Job& job, TimeMs due_ms, TimeMs now_ms, Effects* effects) {
  Transition(job, wire::JOB_STATE_SCHEDULED, now_ms);
  job.scheduled_ms = due_ms;
  scheduled_.push({due_ms, job.id});
  effects->JobChanged(job.id);
}

void BrokerCore::Finish(Job& job, wire::JobState state, TimeMs now_ms, Effects* effects) {
  Transition(job, state, now_ms);
  job.finished_ms = now_ms;
  ++QueueNamed(job.spec.queue()).finished;
  switch (state) {
    case wire::JOB_STATE_SUCCEEDED:
      ++counters_.succeeded;
      break;
    case wire::JOB_STATE_CANCELLED:
      ++counters_.cancelled;
      break;
    default:
      ++counters_.failed;
      break;
  }
  job.expires_ms = ExpiryOf(job, options_);
  expiry_.push({job.expires_ms, job.id});
  for (const std::string& client : job.watchers) {
    Notify(job, client, effects);
  }
  job.watchers.clear();
  effects->JobChanged(job.id);
  if (job.links) {
    NodeFinished(job, now_ms, effects);
  }
}

const Job* BrokerCore::FindJob(const JobId& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const WorkerInfo* BrokerCore::FindWorker(const std::string& routing_id) const {
  auto it = workers_.find(routing_id);
  return it == workers_.end() ? nullptr : &it->second;
}

const WorkerInfo* BrokerCore::FindWorkerByName(const std::string& name) const {
  auto it = worker_by_name_.find(name);
  return it == worker_by_name_.end() ? nullptr : &workers_.at(it->second);
}

void BrokerCore::CheckInvariants() const {
  // Every count by queue and state is the index's: it must hold exactly
  // the kept jobs, each under its state, queue and task.
  index_.CheckAgainst(jobs_);
  for (const auto& [id, job] : jobs_) {
    JOBQ_CHECK(job.id == id) << "job keyed by its id";
    JOBQ_CHECK(queues_.count(job.spec.queue()) == 1) << "a job's queue is listed";
    if (job.state == wire::JOB_STATE_RUNNING) {
      if (orphans_.count(id) == 0) {
        auto worker = workers_.find(job.leased_to);
        JOBQ_CHECK(worker != workers_.end())
            << "a running job is leased to a live worker, or waits for one after a restart";
        JOBQ_CHECK(worker->second.leased.count(id) == 1) << "lease recorded on both sides";
      }
    } else {
      JOBQ_CHECK(orphans_.count(id) == 0) << "only running jobs wait for their worker";
      JOBQ_CHECK(job.leased_to.empty()) << "only running jobs have a lease";
    }
  }
  for (const auto* index : {&idempotency_keys_, &submit_tokens_}) {
    for (const auto& [key, id] : *index) {
      JOBQ_CHECK(jobs_.count(id) == 1) << "an idempotency key or submit token names a kept job";
    }
  }
  JOBQ_CHECK(dead_workers_.size() <= kDeadWorkersMax) << "dead workers listed are bounded";
  JOBQ_CHECK(schedules_.size() <= kSchedulesMax) << "schedules are bounded";
  for (const auto& [name, entry] : schedules_) {
    JOBQ_CHECK(entry.record.spec().name() == name) << "schedule keyed by its name";
    JOBQ_CHECK(entry.timing.has_value() == entry.broken.empty())
        << "schedule " << name << " has a timing or says why not";
    if (entry.record.paused() || !entry.timing) {
      JOBQ_CHECK(entry.next_fire_ms == 0) << "paused or broken schedule " << name << " is unarmed";
    } else if (entry.next_fire_ms != 0 || !shutting_down_) {
      // Armed at the first instant after its cursor: none is skipped
      // without being counted, none handled twice.
      JOBQ_CHECK(entry.next_fire_ms ==
                 NextFiring(*entry.timing, entry.record.cursor_ms()).value_or(0))
          << "schedule " << name << " is armed at its next firing after its cursor";
    }
    JOBQ_CHECK(entry.record.last_fire_ms() <= entry.record.cursor_ms())
        << "schedule " << name << " fired no instant beyond its cursor";
  }
  for (const auto& [routing_id, worker] : workers_) {
    for (const JobId& id : worker.leased) {
      const Job* job = FindJob(id);
      JOBQ_CHECK(job != nullptr && job->state == wire::JOB_STATE_RUNNING &&
                 job->leased_to == routing_id)
          << "worker " << worker.name << " holds a lease the job agrees with";
    }
    for (wire::Kind pool : {wire::KIND_IO, wire::KIND_CPU}) {
      // Never more out under a registration than the worker granted.
      const int64_t granted = int64_t{worker.capacity[pool]} - worker.listed_at_hello[pool] +
                              static_cast<int64_t>(worker.freed_total[pool]);
      JOBQ_CHECK(static_cast<int64_t>(worker.dispatched[pool]) <= std::max<int64_t>(0, granted))
          << "worker " << worker.name << " was sent " << worker.dispatched[pool]
          << " jobs for pool " << pool << ", more than the " << granted << " it granted";
      JOBQ_CHECK(worker.credit[pool] <= worker.capacity[pool]) << "credit within capacity";
    }
  }
  CheckLimitInvariants();
  CheckProgressInvariants();
  CheckWorkflowInvariants();
  JOBQ_CHECK(registration_by_instance_.size() == instance_order_.size() &&
             instance_order_.size() <= kInstancesRememberedMax)
      << "remembered registrations are bounded";
}

}  // namespace jobq::broker::core
