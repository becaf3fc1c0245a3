#include "broker/core/broker_core.h"

#include <algorithm>
#include <set>

#include "broker/core/spec_limits.h"
#include "common/check.h"

namespace jobq::broker::core {
namespace {

constexpr const char* kDefaultQueue = "default";

wire::SubmitAck& Reject(wire::Submitted& submitted, uint64_t client_seq, const char* type,
                        std::string message) {
  wire::SubmitAck& ack = *submitted.add_acks();
  ack.set_client_seq(client_seq);
  ack.mutable_error()->set_type(type);
  ack.mutable_error()->set_message(std::move(message));
  return ack;
}

// Dead jobs are kept for `jobq retry` longer than results are for readers.
TimeMs ExpiryOf(const Job& job, const CoreOptions& options) {
  if (job.state == wire::JOB_STATE_DEAD) {
    return job.finished_ms + std::max(options.dead_ttl_ms, job.spec.result_ttl_ms());
  }
  return job.finished_ms +
         (job.spec.result_ttl_ms() > 0 ? job.spec.result_ttl_ms() : options.result_ttl_ms);
}

}  // namespace

namespace {

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

void BrokerCore::Submit(const std::string& client, wire::Submit& submit, TimeMs now_ms,
                        Effects* effects) {
  wire::Submitted& submitted = effects->SubmittedFor(client);
  for (int i = 0; i < submit.jobs_size(); ++i) {
    wire::JobSpec& spec = *submit.mutable_jobs(i);
    const uint64_t client_seq = submit.first_seq() + static_cast<uint64_t>(i);
    if (spec.task().empty()) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "bad_request", "job has no task name");
      continue;
    }
    if (spec.payload().size() > options_.payload_bytes_max) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "bad_request",
             "payload is " + std::to_string(spec.payload().size()) + " bytes; the limit is " +
                 std::to_string(options_.payload_bytes_max) + " (--payload-max)");
      continue;
    }
    if (std::string bad_times = CheckSpecTimes(spec, now_ms); !bad_times.empty()) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "bad_request", std::move(bad_times));
      continue;
    }
    if (shutting_down_) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "shutting_down",
             "the broker is shutting down; submit again once it is back, or to another broker");
      continue;
    }
    if (Job* first = FindDuplicate(spec)) {
      // The same job again (a producer's retry, or the client library
      // re-sending after a reconnect): answer with the first one.
      ++counters_.duplicates;
      if (submit.notify()) {
        if (IsTerminal(first->state)) {
          Notify(*first, client, effects);
        } else if (std::find(first->watchers.begin(), first->watchers.end(), client) ==
                   first->watchers.end()) {
          first->watchers.push_back(client);
        }
      }
      wire::SubmitAck& ack = *submitted.add_acks();
      ack.set_client_seq(client_seq);
      ack.set_id(std::string(first->id.Bytes()));
      ack.set_duplicate(true);
      continue;
    }
    const std::string& queue_name = spec.queue().empty() ? kDefaultQueue : spec.queue();
    std::string full = JobRoomFor(queue_name);
    if (full.empty() && spec.sentinel()) {
      full = SentinelRoomFor(queue_name);
    }
    if (!full.empty()) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "queue_full", std::move(full));
      continue;
    }
    QueueNamed(queue_name);  // listed from its first job, even a scheduled one
    if (const size_t waiting = index_.Waiting(queue_name); waiting >= options_.queue_depth_max) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "queue_full",
             "queue \"" + queue_name + "\" holds " + std::to_string(waiting) +
                 " waiting jobs, its limit (--queue-max); retry later or add workers");
      continue;
    }

    const bool sentinel_behind = spec.sentinel();
    const JobId id = id_generator_.Next(now_ms);
    // Built in its node: a Job is large, and moving one costs.
    auto [it, inserted] = jobs_.try_emplace(id);
    JOBQ_CHECK(inserted) << "job ids are unique";
    Job& stored = it->second;
    stored.id = id;
    if (spec.queue().empty()) {
      spec.set_queue(kDefaultQueue);
    }
    // An empty content type stays empty (the default, filled in at
    // dispatch): a million queued jobs need not hold a million copies.
    if (spec.content_type() == kDefaultContentType) {
      spec.clear_content_type();
    }
    stored.spec = std::move(spec);
    stored.spec.set_sentinel(false);
    ResolveDefaults(stored.spec);
    stored.submitted_ms = now_ms;
    if (submit.notify()) {
      stored.watchers.push_back(client);
    }
    stats_.OnSubmitted(stored, now_ms);
    Admit(stored);
    if (stored.spec.not_before_ms() > now_ms) {
      Schedule(stored, stored.spec.not_before_ms(), now_ms, effects);
    } else {
      Enqueue(stored, /*at_front=*/false, now_ms, effects);
    }
    if (sentinel_behind) {
      AddSentinel(stored.spec.queue(), now_ms, effects);
    }
    ++counters_.submitted;
    wire::SubmitAck& ack = *submitted.add_acks();
    ack.set_client_seq(client_seq);
    ack.set_id(std::string(stored.id.Bytes()));
  }
}

void BrokerCore::ResolveDefaults(wire::JobSpec& spec) const {
  // Resolved once, at submit: a job keeps the policy it was accepted under
  // even if the broker restarts with other defaults.
  auto queue = options_.queue_defaults.find(spec.queue());
  const QueueDefaults* defaults = queue == options_.queue_defaults.end() ? nullptr : &queue->second;
  if (spec.max_attempts() == 0) {
    spec.set_max_attempts(defaults != nullptr && defaults->max_attempts > 0
                              ? defaults->max_attempts
                              : std::max<uint32_t>(1, options_.max_attempts));
  }
  if (spec.backoff_ms() <= 0) {
    spec.set_backoff_ms(defaults != nullptr && defaults->backoff_ms > 0 ? defaults->backoff_ms
                                                                        : options_.backoff_ms);
  }
}

Job* BrokerCore::FindDuplicate(const wire::JobSpec& spec) {
  for (const auto& [index, key] : {std::pair{&idempotency_keys_, &spec.idempotency_key()},
                                   std::pair{&submit_tokens_, &spec.submit_token()}}) {
    if (key->empty()) {
      continue;
    }
    auto found = index->find(*key);
    if (found == index->end()) {
      continue;
    }
    auto job = jobs_.find(found->second);
    if (job != jobs_.end()) {
      return &job->second;
    }
  }
  return nullptr;
}

void BrokerCore::IndexKeys(const Job& job) {
  if (!job.spec.idempotency_key().empty()) {
    idempotency_keys_[job.spec.idempotency_key()] = job.id;
  }
  if (!job.spec.submit_token().empty()) {
    submit_tokens_[job.spec.submit_token()] = job.id;
  }
}

void BrokerCore::UnindexKeys(const Job& job) {
  for (const auto& [index, key] : {std::pair{&idempotency_keys_, &job.spec.idempotency_key()},
                                   std::pair{&submit_tokens_, &job.spec.submit_token()}}) {
    if (key->empty()) {
      continue;
    }
    auto found = index->find(*key);
    if (found != index->end() && found->second == job.id) {
      index->erase(found);
    }
  }
}

void BrokerCore::BeginShutdown(TimeMs now_ms, Effects* effects) {
  if (shutting_down_) {
    return;
  }
  shutting_down_ = true;
  std::set<std::string> names;
  for (const auto& [name, queue] : queues_) {
    names.insert(name);
  }
  for (const auto& [routing_id, worker] : workers_) {
    names.insert(worker.queues.begin(), worker.queues.end());
  }
  for (const std::string& name : names) {
    AddSentinel(name, now_ms, effects);
  }
}

std::string BrokerCore::JobRoomFor(const std::string& queue_name) const {
  if (jobs_.size() >= options_.jobs_max) {
    return "the broker keeps " + std::to_string(jobs_.size()) +
           " jobs, its limit (--jobs-max), finished ones included until --result-ttl; retry "
           "later, add workers, or shorten --result-ttl";
  }
  if (queues_.size() >= options_.queues_max && queues_.count(queue_name) == 0) {
    return "the broker has " + std::to_string(queues_.size()) +
           " queues, its limit (--queues-max); use one of them for \"" + queue_name + "\"";
  }
  return "";
}

std::string BrokerCore::SentinelRoomFor(const std::string& queue_name) const {
  if (queues_.size() >= options_.queues_max && queues_.count(queue_name) == 0) {
    return "the broker has " + std::to_string(queues_.size()) +
           " queues, its limit (--queues-max); a sentinel for \"" + queue_name +
           "\" would make another";
  }
  auto queue = queues_.find(queue_name);
  if (queue != queues_.end() && queue->second.ready.sentinels() >= kSentinelsPerQueueMax) {
    return "queue \"" + queue_name + "\" already has " + std::to_string(kSentinelsPerQueueMax) +
           " sentinels waiting; one stops every worker of the queue, so wait for them to fire";
  }
  return "";
}

void BrokerCore::AddSentinel(const std::string& queue_name, TimeMs now_ms, Effects* effects) {
  // Its id orders it among the queue's jobs when the store gives it back.
  const JobId id = id_generator_.Next(now_ms);
  QueueNamed(queue_name).ready.PushSentinel(id);
  effects->SentinelAdded(id, queue_name);
  dispatch_pending_ = true;
}

void BrokerCore::Wait(const std::string& client, const wire::Wait& wait, Effects* effects) {
  for (const std::string& raw_id : wait.ids()) {
    std::optional<JobId> id = JobId::FromBytes(raw_id);
    auto it = id ? jobs_.find(*id) : jobs_.end();
    if (it == jobs_.end()) {
      wire::JobOutcome& outcome = *effects->ResultsFor(client).add_outcomes();
      outcome.set_id(raw_id);
      outcome.set_state(wire::JOB_STATE_UNSPECIFIED);
      outcome.mutable_error()->set_type("unknown_job");
      outcome.mutable_error()->set_message(
          id ? "the broker does not know job " + id->ToString() +
                   " (its result expired, or the broker restarted without a durable store)"
             : "a job id is 16 bytes");
      continue;
    }
    Job& job = it->second;
    if (IsTerminal(job.state)) {
      Notify(job, client, effects);
    } else if (std::find(job.watchers.begin(), job.watchers.end(), client) == job.watchers.end()) {
      job.watchers.push_back(client);
    }
  }
}

void BrokerCore::Cancel(const std::string& client, const wire::Cancel& cancel, TimeMs now_ms,
                        Effects* effects) {
  // The same cancel as the admin path's: a running job ends cancelled
  // whatever its worker then reports, never retried.
  std::string unknown;
  for (const std::string& raw_id : cancel.ids()) {
    std::optional<JobId> id = JobId::FromBytes(raw_id);
    if (!id || CancelJobBy(*id, "its producer", now_ms, effects) == CancelOutcome::kUnknownJob) {
      if (!unknown.empty()) {
        unknown += ' ';
      }
      unknown += id ? id->ToString() : "(not 16 bytes)";
    }
  }
  if (!unknown.empty()) {
    effects->SendError(Socket::kFrontend, client, wire::ERROR_CODE_UNKNOWN_JOB,
                       "cannot cancel jobs the broker does not know: " + unknown);
  }
}

void BrokerCore::Transition(Job& job, wire::JobState to, TimeMs now_ms) {
  stats_.OnTransition(job, to, now_ms);
  index_.Move(job, to);
  job.state = to;
}

void BrokerCore::Admit(const Job& job) {
  index_.Add(job);
  IndexKeys(job);
}

void BrokerCore::Forget(const Job& job) {
  UnindexKeys(job);
  index_.Remove(job);
}

void BrokerCore::Schedule(Job& job, TimeMs due_ms, TimeMs now_ms, Effects* effects) {
  Transition(job, wire::JOB_STATE_SCHEDULED, now_ms);
  job.scheduled_ms = due_ms;
  scheduled_.push({due_ms, job.id});
  effects->JobChanged(job.id);
}

void BrokerCore::Enqueue(Job& job, bool at_front, TimeMs now_ms, Effects* effects) {
  Transition(job, wire::JOB_STATE_QUEUED, now_ms);
  QueueState& queue = QueueNamed(job.spec.queue());
  if (at_front) {
    queue.ready.PushFront(job.id, job.spec.priority());
  } else {
    queue.ready.Push(job.id, job.spec.priority());
  }
  dispatch_pending_ = true;
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
}

void BrokerCore::Notify(const Job& job, const std::string& client, Effects* effects) const {
  wire::JobOutcome& outcome = *effects->ResultsFor(client).add_outcomes();
  outcome.set_id(std::string(job.id.Bytes()));
  outcome.set_state(job.state);
  outcome.set_attempts(job.attempt);
  if (job.state == wire::JOB_STATE_SUCCEEDED) {
    outcome.set_result(job.result);
    outcome.set_content_type(job.result_content_type);
  } else {
    *outcome.mutable_error() = job.error;
  }
}

void BrokerCore::Restore(std::vector<Job> jobs, std::vector<SentinelMark> sentinels,
                         TimeMs now_ms) {
  // Queued jobs and sentinels go back in id order, which is the order they
  // were accepted in, so every sentinel is again behind the jobs before it.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
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
  for (Job& recovered : jobs) {
    restore_sentinels_before(recovered.id);
    recovered.watchers.clear();
    auto [it, inserted] = jobs_.emplace(recovered.id, std::move(recovered));
    if (!inserted) {
      continue;
    }
    Job& job = it->second;
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

RetryOutcome BrokerCore::RetryJob(const JobId& id, TimeMs now_ms, Effects* effects) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return RetryOutcome::kUnknownJob;
  }
  Job& job = it->second;
  if (job.state != wire::JOB_STATE_DEAD && job.state != wire::JOB_STATE_FAILED &&
      job.state != wire::JOB_STATE_CANCELLED) {
    return RetryOutcome::kNotFinished;
  }
  if (shutting_down_) {
    return RetryOutcome::kShuttingDown;
  }
  // A fresh start: the attempt number keeps growing so that results of the
  // old attempts can never be taken for the new ones.
  job.failures = 0;
  job.lost_leases = 0;
  job.worker_crashes = 0;
  job.cancel_requested = false;
  job.error.Clear();
  job.result.clear();
  job.finished_ms = 0;
  job.expires_ms = 0;
  ++counters_.requeued;
  Enqueue(job, /*at_front=*/false, now_ms, effects);
  return RetryOutcome::kRetried;
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
  while (!expiry_.empty() && expiry_.top().due_ms <= now_ms) {
    JobId id = expiry_.top().id;
    expiry_.pop();
    auto it = jobs_.find(id);
    // A job retried after its entry was made is not terminal, or expires later.
    if (it != jobs_.end() && IsTerminal(it->second.state) && it->second.expires_ms <= now_ms) {
      Forget(it->second);
      jobs_.erase(it);
      effects->JobErased(id);
    }
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
  Pump(now_ms, effects);

  TimeMs next_ms = std::min(next_heartbeat_ms_, next_liveness_check_ms_);
  if (!scheduled_.empty()) {
    next_ms = std::min(next_ms, scheduled_.top().due_ms);
  }
  if (!expiry_.empty()) {
    next_ms = std::min(next_ms, expiry_.top().due_ms);
  }
  return next_ms;
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
  // Shared with ListQueues and ListWorkers (admin_control.cpp).
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
  JOBQ_CHECK(registration_by_instance_.size() == instance_order_.size() &&
             instance_order_.size() <= kInstancesRememberedMax)
      << "remembered registrations are bounded";
}

}  // namespace jobq::broker::core
