#include "tests/sim/sim_model.h"

#include <algorithm>
#include <utility>

#include "tests/sim/checkers/checkers.h"

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::Effects;
using broker::core::IsTerminal;
using broker::core::Job;
using broker::core::Outbound;
using broker::core::SentinelMark;

TimeMs SimModel::LeaseExpiry(const JobModel& model, TimeMs now_ms) const {
  return now_ms + (model.timeout_ms > 0 ? model.timeout_ms : kSilenceMaxMs) +
         options_.lease_grace_ms;
}

Release SimModel::TakeStepRelease() {
  Release release = std::move(step_release_);
  step_release_ = Release{};
  return release;
}

// ---- client messages

void SimModel::BeforeClientMessage(const Message& message) {
  if (message.command == Command::kWait) {
    wire::Wait wait;
    wait.ParseFromString(message.body);
    for (const std::string& raw : wait.ids()) {
      std::optional<JobId> id = JobId::FromBytes(raw);
      auto it = id ? jobs_.find(*id) : jobs_.end();
      if (it == jobs_.end()) {
        continue;  // answered unknown_job: the outcome check fails
      }
      if (it->second.terminal) {
        ++step_release_.allowances[message.peer][*id];
      } else {
        watchers_[*id].insert(message.peer);
      }
    }
  } else if (message.command == Command::kCancel) {
    wire::Cancel cancel;
    cancel.ParseFromString(message.body);
    for (const std::string& raw : cancel.ids()) {
      std::optional<JobId> id = JobId::FromBytes(raw);
      auto it = id ? jobs_.find(*id) : jobs_.end();
      if (it == jobs_.end() || it->second.terminal) {
        continue;
      }
      auto lease = leases_.find(*id);
      if (lease == leases_.end()) {
        expect_cancelled_.push_back(*id);
      } else if (lease->second.orphan()) {
        // Its worker is away since a restart: nothing runs it that could
        // be told, so it ends now.
        EndLease(lease);
        expect_cancelled_.push_back(*id);
      } else if (!it->second.cancel_requested) {
        // It ends cancelled whatever its worker reports (but a success).
        it->second.cancel_requested = true;
        ++env_.coverage.cancels_while_running;
      }
    }
  }
}

void SimModel::AfterClientMessage(const Message& message, const Effects& effects,
                                  const BrokerCore& core) {
  size_t sentinels_expected = 0;
  if (message.command == Command::kSubmit) {
    wire::Submit submit;
    submit.ParseFromString(message.body);
    sentinels_expected = AfterSubmit(message.peer, submit, effects, core);
  } else if (message.command == Command::kSentinel) {
    wire::Sentinel sentinel;
    sentinel.ParseFromString(message.body);
    AddSentinel(sentinel.queue(), effects, 0);
    sentinels_expected = 1;
  }
  checks_.sentinels.CheckAddedCount(effects, sentinels_expected, message.command);
  for (const JobId& id : expect_cancelled_) {
    checks_.liveness.CheckCancelled(id, core);
  }
  expect_cancelled_.clear();
}

void SimModel::AddSentinel(const std::string& queue_name, const Effects& effects,
                           size_t added_index) {
  const SentinelMark& mark = checks_.sentinels.Added(queue_name, effects, added_index);
  QueueModel& queue = queues_[queue_name];
  sentinels_.emplace(mark.id, SentinelModel{queue_name, queue.sentinels});
  ++queue.sentinels;
}

void SimModel::ResolveDefaults(const wire::JobSpec& spec, JobModel& model) const {
  auto defaults = options_.queue_defaults.find(spec.queue());
  const bool has_defaults = defaults != options_.queue_defaults.end();
  model.max_attempts = spec.max_attempts() > 0 ? spec.max_attempts()
                       : has_defaults && defaults->second.max_attempts > 0
                           ? defaults->second.max_attempts
                           : std::max<uint32_t>(1, options_.max_attempts);
  model.backoff_ms = spec.backoff_ms() > 0                             ? spec.backoff_ms()
                     : has_defaults && defaults->second.backoff_ms > 0 ? defaults->second.backoff_ms
                                                                       : options_.backoff_ms;
}

size_t SimModel::AfterSubmit(const std::string& client, const wire::Submit& submit,
                             const Effects& effects, const BrokerCore& core) {
  size_t sentinels = 0;
  for (const Outbound& out : effects.outbound) {
    if (out.routing_id != client || out.command != Command::kSubmitted) {
      continue;
    }
    const auto& submitted = static_cast<const wire::Submitted&>(*out.body);
    for (const wire::SubmitAck& ack : submitted.acks()) {
      const JobId id = checks_.acknowledged.AckedId(ack);
      const wire::JobSpec& spec =
          submit.jobs(static_cast<int>(ack.client_seq() - submit.first_seq()));
      if (ack.duplicate()) {
        checks_.acknowledged.CheckDuplicateAck(client, spec, ack.client_seq(), id);
        ++env_.coverage.duplicate_acks;
        env_.coverage.duplicate_tokens += tokens_.count(spec.submit_token());
        if (submit.notify()) {
          if (jobs_.at(id).terminal) {
            ++step_release_.allowances[client][id];
          } else {
            watchers_[id].insert(client);
          }
        }
        continue;
      }
      checks_.acknowledged.CheckNewJob(spec, id, core);
      tokens_[spec.submit_token()] = id;
      if (!spec.idempotency_key().empty()) {
        keys_[spec.idempotency_key()] = id;
      }

      QueueModel& queue = queues_[spec.queue()];
      JobModel& model = jobs_[id];
      model.queue = spec.queue();
      model.token = spec.submit_token();
      model.key = spec.idempotency_key();
      model.timeout_ms = spec.timeout_ms();
      model.not_before_ms = spec.not_before_ms();
      model.outside_epochs = spec.not_before_ms() > env_.Now();
      env_.coverage.delayed_jobs += model.outside_epochs ? 1 : 0;
      ResolveDefaults(spec, model);
      checks_.results.CheckResolved(id, model, core);
      model.epoch = queue.sentinels;
      if (queue.pending_by_epoch.size() <= model.epoch) {
        queue.pending_by_epoch.resize(model.epoch + 1);
      }
      if (!model.outside_epochs) {
        ++queue.pending_by_epoch[model.epoch];
      }
      if (submit.notify()) {
        watchers_[id].insert(client);
      }
      if (spec.sentinel()) {
        AddSentinel(spec.queue(), effects, sentinels++);
      }
    }
  }
  return sentinels;
}

// ---- worker messages

std::map<JobId, Prediction> SimModel::BeforeWorkerMessage(const Message& message, bool honest) {
  std::map<JobId, Prediction> predictions;
  const std::string& worker = message.peer;
  const bool registered = registered_.count(worker) > 0;
  if (registered && message.command != Command::kHello) {
    last_heard_ms_[worker] = env_.Now();
  }
  switch (message.command) {
    case Command::kWorkerResult: {
      wire::WorkerResults results;
      // An unknown worker is told to reconnect; its results count for nothing.
      if (registered && results.ParseFromString(message.body)) {
        AcceptResults(worker, results, honest, predictions);
      }
      break;
    }
    case Command::kHello: {
      wire::Hello hello;
      if (hello.ParseFromString(message.body)) {
        Hello(worker, hello, registered);
      }
      break;
    }
    case Command::kWorkerHeartbeat: {
      wire::Heartbeat heartbeat;
      if (!registered || !heartbeat.ParseFromString(message.body)) {
        break;
      }
      for (const std::string& raw : heartbeat.holding()) {
        std::optional<JobId> id = JobId::FromBytes(raw);
        auto lease = id ? leases_.find(*id) : leases_.end();
        if (lease == leases_.end() || lease->second.orphan() || lease->second.worker != worker) {
          continue;
        }
        const JobModel& model = jobs_.at(*id);
        // A job with a timeout keeps the lease it got.
        if (model.timeout_ms <= 0) {
          lease->second.expires_ms = LeaseExpiry(model, env_.Now());
        }
      }
      break;
    }
    case Command::kBye:
      if (registered) {
        EndLeases(worker, 0);
        registered_.erase(worker);
        expect_removal_ = worker;
      }
      break;
    default:
      break;
  }
  return predictions;
}

void SimModel::AcceptResults(const std::string& worker, const wire::WorkerResults& results,
                             bool honest, std::map<JobId, Prediction>& predictions) {
  for (const wire::JobResult& result : results.results()) {
    std::optional<JobId> id = JobId::FromBytes(result.id());
    auto found = id ? jobs_.find(*id) : jobs_.end();
    if (found == jobs_.end()) {
      continue;
    }
    JobModel& model = found->second;
    const uint32_t attempt = result.attempt();
    auto lease = leases_.find(*id);
    auto predicted = predictions.find(*id);
    const bool finished = model.terminal.has_value() ||
                          (predicted != predictions.end() && IsTerminal(predicted->second.want));
    if (lease != leases_.end() && lease->second.attempt == attempt &&
        (lease->second.orphan() || lease->second.worker == worker)) {
      // The holder's result, or an orphan's claimed by the worker that
      // reports its attempt.
      env_.coverage.orphans_adopted += lease->second.orphan() ? 1 : 0;
      EndLease(lease);
      if (honest) {
        checks_.results.CheckFirstResult(*id, attempt, model.honest_results.insert(attempt).second);
      }
      Prediction& prediction = predictions[*id];
      prediction.attempt = attempt;
      if (result.ok()) {
        prediction.want = wire::JOB_STATE_SUCCEEDED;
        continue;
      }
      if (result.error().type() == "worker_overloaded") {
        // Never ran: no failure, no attempt spent.
        prediction.want =
            model.cancel_requested ? wire::JOB_STATE_CANCELLED : wire::JOB_STATE_QUEUED;
        prediction.refused = true;
        ++env_.coverage.refusals;
        continue;
      }
      ++model.failures;
      if (model.cancel_requested) {
        prediction.want = wire::JOB_STATE_CANCELLED;
        continue;
      }
      checks_.results.CheckFailures(*id, model);
      const std::string& type = result.error().type();
      if (type == "bad_args" || type == "unknown_task" || model.max_attempts == 1) {
        prediction.want = wire::JOB_STATE_FAILED;
      } else if (model.failures >= model.max_attempts) {
        prediction.want = wire::JOB_STATE_DEAD;
      } else {
        prediction.want = wire::JOB_STATE_SCHEDULED;
        ++env_.coverage.retries;
        prediction.failures = model.failures;
      }
      continue;
    }
    // Not the running attempt: a success of an attempt the broker took
    // back finishes the job, if nothing else has.
    const bool running_attempt = lease != leases_.end() && lease->second.attempt == attempt;
    const bool taken_back = attempt >= 1 && attempt <= model.attempt && !running_attempt;
    if (!result.ok() || finished || !taken_back) {
      continue;
    }
    if (lease != leases_.end()) {
      expected_cancels_.insert({lease->second.worker, *id});
      EndLease(lease);
    }
    env_.Trace("late success of ", Hex(*id), " attempt ", attempt);
    ++env_.coverage.late_successes;
    predictions[*id] = Prediction{wire::JOB_STATE_SUCCEEDED, attempt, 0};
  }
}

void SimModel::Hello(const std::string& worker, const wire::Hello& hello, bool registered) {
  hello_this_step_ = true;
  if (hello.instance() != 0) {
    const std::pair<uint64_t, uint64_t> number{hello.instance(), hello.registration()};
    if (registered && registration_of_[worker] == number) {
      // Re-sent before its WELCOME: answered, the registration kept.
      ++env_.coverage.repeated_hellos;
      last_heard_ms_[worker] = env_.Now();
      return;
    }
    auto known = latest_registration_.find(hello.instance());
    if (known != latest_registration_.end() && hello.registration() <= known->second) {
      ++env_.coverage.overtaken_hellos;  // a number registers once: ignored
      return;
    }
    latest_registration_[hello.instance()] = hello.registration();
  }
  registration_of_[worker] = {hello.instance(), hello.registration()};
  std::set<std::pair<JobId, uint32_t>> held;
  for (const wire::HeldJob& job : hello.in_flight()) {
    if (auto id = JobId::FromBytes(job.id())) {
      held.insert({*id, job.attempt()});
    }
  }
  const uint64_t old_session = session_[worker];
  const uint64_t new_session = ++next_session_;
  for (auto& [id, lease] : leases_) {
    if (!held.count({id, lease.attempt})) {
      continue;
    }
    const bool kept =
        !lease.orphan() && registered && lease.worker == worker && lease.session == old_session;
    if (!lease.orphan() && !kept) {
      continue;
    }
    env_.Trace(worker, lease.orphan() ? " adopts orphan " : " keeps ", Hex(id), " attempt ",
               lease.attempt);
    env_.coverage.orphans_adopted += lease.orphan() ? 1 : 0;
    // Still running there (or, an orphan, claimed): a fresh lease.
    lease.worker = worker;
    lease.session = new_session;
    lease.expires_ms = LeaseExpiry(jobs_.at(id), env_.Now());
  }
  EndLeases(worker, new_session);
  session_[worker] = new_session;
  registered_.insert(worker);
  last_heard_ms_[worker] = env_.Now();
  expect_removal_ = worker;  // the old registration ends
}

// The lease of a job restored as running ends, however it ends: the core
// skips the number an unrecorded DISPATCH made before the crash may have used.
SimModel::LeaseMap::iterator SimModel::EndLease(LeaseMap::iterator it) {
  if (it->second.restored) {
    JobModel& model = jobs_.at(it->first);
    if (checks_.attempts.HighestSent(it->first) > model.attempt) {
      ++env_.coverage.unrecorded_dispatches;
    }
    ++model.attempt;
  }
  return leases_.erase(it);
}

void SimModel::EndLeases(const std::string& worker, uint64_t keep_session) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (!it->second.orphan() && it->second.worker == worker && it->second.session != keep_session) {
      it = EndLease(it);
    } else {
      ++it;
    }
  }
}

void SimModel::AfterResults(const std::string& worker,
                            const std::map<JobId, Prediction>& predictions,
                            const BrokerCore& core) {
  checks_.results.CheckResults(worker, predictions, core);
  for (const auto& [id, prediction] : predictions) {
    if (prediction.want == wire::JOB_STATE_SCHEDULED) {
      jobs_.at(id).not_before_ms = core.FindJob(id)->scheduled_ms;
    }
  }
}

// ---- effects

void SimModel::OnDispatched(const JobId& id, const std::string& worker, uint32_t attempt) {
  checks_.attempts.CheckDispatched(id, worker, attempt);
  checks_.leases.CheckDispatched(id, worker, attempt);
  checks_.results.CheckDispatched(id);
  checks_.sentinels.CheckDispatched(id);
  JobModel& model = jobs_.at(id);
  env_.coverage.delayed_dispatches += model.outside_epochs && !model.dispatched_or_done ? 1 : 0;
  model.attempt = attempt;
  env_.Trace("dispatch ", Hex(id), " attempt ", attempt, " to ", worker);
  leases_[id] = Lease{worker, attempt, session_[worker], LeaseExpiry(model, env_.Now())};
  MarkDispatchedOrDone(model);
}

void SimModel::MarkDispatchedOrDone(JobModel& model) {
  if (model.dispatched_or_done) {
    return;
  }
  model.dispatched_or_done = true;
  if (!model.outside_epochs) {
    --queues_[model.queue].pending_by_epoch[model.epoch];
  }
}

void SimModel::SetTerminal(const JobId& id, JobModel& model, wire::JobState state) {
  checks_.leases.CheckEndedBeforeTerminal(id, state);
  model.terminal = state;
  // Every watcher registered now gets its outcome.
  if (auto watchers = watchers_.find(id); watchers != watchers_.end()) {
    for (const std::string& client : watchers->second) {
      ++step_release_.allowances[client][id];
    }
    watchers_.erase(watchers);
  }
  MarkDispatchedOrDone(model);
}

void SimModel::ForgetEndedSessions(const BrokerCore& core, bool hello) {
  // Only a HELLO adds a registration: in a step without one, a core that
  // ended some has fewer workers than the model has registered. So the
  // common step skips looking up every registered worker (hundreds, in a
  // crowded run).
  if (!hello && core.worker_count() == registered_.size()) {
    return;
  }
  // Sessions the core ended: BYE, HELLO again, or missed heartbeats.
  for (auto it = registered_.begin(); it != registered_.end();) {
    if (core.FindWorkerByName(*it) != nullptr) {
      ++it;
      continue;
    }
    checks_.liveness.CheckDeclaredDead(*it, env_.Now() - last_heard_ms_[*it],
                                       expect_removal_ == *it);
    env_.Trace("core forgot ", *it);
    EndLeases(*it, ~uint64_t{0});
    it = registered_.erase(it);
  }
}

void SimModel::AfterStep(const Effects& effects, const BrokerCore& core) {
  ForgetEndedSessions(core, hello_this_step_ || !expect_removal_.empty());
  expect_removal_.clear();
  hello_this_step_ = false;

  SyncLeases(core);
  // Dispatches (outcomes and acknowledgements count once they leave).
  std::set<std::pair<std::string, JobId>> cancels_sent;
  for (const Outbound& out : effects.outbound) {
    if (out.command == Command::kDispatch) {
      const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
      for (const wire::DispatchedJob& job : dispatch.jobs()) {
        OnDispatched(checks_.attempts.DispatchedId(job), out.routing_id, job.attempt());
      }
    } else if (out.command == Command::kWorkerCancel) {
      const auto& cancel = static_cast<const wire::Cancel&>(*out.body);
      for (const std::string& raw : cancel.ids()) {
        if (auto id = JobId::FromBytes(raw)) {
          cancels_sent.insert({out.routing_id, *id});
        }
      }
    } else if (out.command == Command::kError && out.socket == broker::core::Socket::kFrontend) {
      checks_.outcomes.ErrorToClient(out);
    }
  }
  // Jobs whose state changed this step: terminal ones are recorded.
  for (const JobId& id : effects.changed_jobs) {
    CheckJob(id, core);
  }
  checks_.leases.CheckCancelsSent(expected_cancels_, cancels_sent);
  expected_cancels_.clear();

  FireSentinels(effects);
  checks_.acknowledged.CheckNoneErased(effects);
  if (env_.steps % 64 == 0) {
    SweepChecks(core);
  }
}

void SimModel::SyncLeases(const BrokerCore& core) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    const JobId& id = it->first;
    const Lease& lease = it->second;
    const Job& job = checks_.leases.LeasedJob(id, core);
    if (job.state == wire::JOB_STATE_RUNNING && job.attempt == lease.attempt &&
        job.leased_to == lease.worker) {
      checks_.leases.CheckHeld(id, lease, job);
      ++it;
      continue;
    }
    checks_.leases.CheckTakenBack(id, lease, job);
    env_.Trace("lease of ", Hex(id), " on ", lease.worker, " expired");
    ++(lease.orphan() ? env_.coverage.orphans_requeued : env_.coverage.leases_expired);
    if (!lease.orphan()) {
      expected_cancels_.insert({lease.worker, id});
    }
    it = EndLease(it);
  }
}

void SimModel::FireSentinels(const Effects& effects) {
  for (const SentinelMark& mark : effects.sentinels_added) {
    checks_.sentinels.CheckAsked(mark);
  }
  for (const JobId& id : effects.sentinels_removed) {
    checks_.sentinels.CheckFiring(id);
    SentinelModel& sentinel = sentinels_.at(id);
    sentinel.fired = true;
    ++queues_[sentinel.queue].fired;
    // The SENTINELs the step sends to the queue's workers are its firing.
    step_release_.fired[sentinel.queue].push_back(id);
  }
}

void SimModel::CheckJob(const JobId& id, const BrokerCore& core) {
  const Job& job = checks_.acknowledged.ChangedJob(id, core);
  JobModel& model = jobs_.at(id);
  if (model.terminal) {
    checks_.terminal.CheckKept(id, *model.terminal, job.state);
  } else if (IsTerminal(job.state)) {
    SetTerminal(id, model, job.state);
  }
  checks_.results.CheckFailureCount(id, model, job);
  checks_.attempts.CheckAttempt(id, model, job);
}

void SimModel::SweepChecks(const BrokerCore& core) {
  for (const auto& [id, model] : jobs_) {
    CheckJob(id, core);
  }
  checks_.acknowledged.CheckKnown(core);
  SyncLeases(core);
  checks_.leases.CheckRunningLeased(core);
  checks_.progress.CheckFinished(core);
}

// ---- the store

BatchImage SimModel::ImageOf(const broker::net::OwnedBatch& batch, uint64_t number) {
  BatchImage image;
  image.jobs.reserve(batch.changed.size());
  for (const Job& job : batch.changed) {
    auto model = jobs_.find(job.id);
    checks_.acknowledged.CheckWrittenJobKnown(job.id, model != jobs_.end());
    DurableJob durable{model->second, std::nullopt};
    if (auto lease = leases_.find(job.id); lease != leases_.end()) {
      durable.lease = lease->second;
    }
    checks_.acknowledged.CheckStored(job, durable, "batch " + std::to_string(number) + " writes ");
    image.jobs.push_back(std::move(durable));
  }
  for (const SentinelMark& mark : batch.sentinels_added) {
    checks_.sentinels.CheckAsked(mark);
    image.sentinels_added.push_back(sentinels_.at(mark.id));
    image.sentinels_added.back().fired = false;
  }
  return image;
}

void SimModel::Committed(const broker::net::OwnedBatch& batch, BatchImage image, uint64_t number) {
  for (size_t i = 0; i < batch.changed.size(); ++i) {
    const JobId& id = batch.changed[i].id;
    DurableJob& written = image.jobs[i];
    auto [durable, first] = durable_jobs_.try_emplace(id, written);
    if (first) {
      continue;
    }
    checks_.terminal.CheckCommittedKept(id, durable->second.model.terminal, written.model.terminal);
    durable->second = std::move(written);
  }
  for (const JobId& id : batch.erased) {
    durable_jobs_.erase(id);
  }
  for (size_t i = 0; i < batch.sentinels_added.size(); ++i) {
    durable_sentinels_[batch.sentinels_added[i].id] = image.sentinels_added[i];
  }
  for (const JobId& id : batch.sentinels_removed) {
    checks_.sentinels.CheckRemovalStored(id, number);
    durable_sentinels_.at(id).fired = true;
  }
}

void SimModel::RollBack(TimeMs orphan_until) {
  for (const auto& [id, sentinel] : sentinels_) {
    auto durable = durable_sentinels_.find(id);
    if (sentinel.fired && durable != durable_sentinels_.end() && !durable->second.fired) {
      ++env_.coverage.sentinels_refired;
    }
  }
  sentinels_ = durable_sentinels_;
  queues_.clear();
  for (const auto& [id, sentinel] : sentinels_) {
    QueueModel& queue = queues_[sentinel.queue];
    ++queue.sentinels;
    queue.fired += sentinel.fired ? 1 : 0;
  }
  jobs_.clear();
  tokens_.clear();
  keys_.clear();
  leases_.clear();
  for (const auto& [id, durable] : durable_jobs_) {
    JobModel& model = jobs_[id] = durable.model;
    tokens_[model.token] = id;
    if (!model.key.empty()) {
      keys_[model.key] = id;
    }
    if (durable.lease) {
      leases_[id] = Lease{durable.lease->worker, durable.lease->attempt, 0, orphan_until, true};
    } else if (!model.terminal) {
      // Queued or scheduled: its next attempt may have gone out in a
      // DISPATCH whose commit was lost; Restore skips that number.
      if (checks_.attempts.HighestSent(id) > model.attempt) {
        ++env_.coverage.unrecorded_dispatches;
      }
      ++model.attempt;
    }
    QueueModel& queue = queues_[model.queue];
    if (queue.pending_by_epoch.size() <= model.epoch) {
      queue.pending_by_epoch.resize(model.epoch + 1);
    }
    if (!model.dispatched_or_done && !model.outside_epochs) {
      ++queue.pending_by_epoch[model.epoch];
    }
  }
  // A new broker: no registration, no watcher, nothing expected of this step.
  registered_.clear();
  registration_of_.clear();
  latest_registration_.clear();
  watchers_.clear();
  expect_removal_.clear();
  hello_this_step_ = false;
  expected_cancels_.clear();
  expect_cancelled_.clear();
  step_release_ = Release{};
}

}  // namespace jobq::testing
