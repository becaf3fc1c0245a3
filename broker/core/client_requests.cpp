// BrokerCore: what producers ask — SUBMIT (bounds, duplicates by
// idempotency key or submit token, defaults resolved once), WAIT, CANCEL —
// and the outcomes sent back to them. Separate from admin_control.cpp: these
// answer a client on the frontend socket, batched per client in Effects.

#include <algorithm>

#include "broker/core/broker_core.h"
#include "broker/core/core_helpers.h"
#include "broker/core/spec_limits.h"
#include "broker/core/workflow_plan.h"
#include "common/check.h"

namespace jobq::broker::core {
namespace {

wire::SubmitAck& Reject(wire::Submitted& submitted, uint64_t client_seq, const char* type,
                        std::string message) {
  wire::SubmitAck& ack = *submitted.add_acks();
  ack.set_client_seq(client_seq);
  ack.mutable_error()->set_type(type);
  ack.mutable_error()->set_message(std::move(message));
  return ack;
}

}  // namespace

void BrokerCore::Submit(const std::string& client, wire::Submit& submit, TimeMs now_ms,
                        Effects* effects) {
  wire::Submitted& submitted = effects->SubmittedFor(client);
  for (int i = 0; i < submit.jobs_size(); ++i) {
    wire::JobSpec& spec = *submit.mutable_jobs(i);
    const uint64_t client_seq = submit.first_seq() + static_cast<uint64_t>(i);
    if (std::string bad = RefuseSpec(spec, now_ms); !bad.empty()) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "bad_request", std::move(bad));
      continue;
    }
    if (spec.after_size() > 0) {
      std::string bad = CheckParentIds(spec);
      if (bad.empty()) {
        bad = CheckChildPayload(spec);
        if (!bad.empty()) {
          bad = "the job " + bad;
        }
      }
      if (!bad.empty()) {
        ++counters_.rejected;
        Reject(submitted, client_seq, "bad_request", std::move(bad));
        continue;
      }
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
    if (std::string waiting = WaitingRoomFor(queue_name); !waiting.empty()) {
      ++counters_.rejected;
      Reject(submitted, client_seq, "queue_full", std::move(waiting));
      continue;
    }

    if (std::string unknown = UnknownParent(spec); !unknown.empty()) {
      // After the duplicate check: a re-sent job whose parent has expired
      // since is still answered with the first one.
      ++counters_.rejected;
      Reject(submitted, client_seq, "bad_request", std::move(unknown));
      continue;
    }

    const bool sentinel_behind = spec.sentinel();
    Job& stored = AddJob(std::move(spec), now_ms, effects);
    if (submit.notify()) {
      stored.watchers.push_back(client);
    }
    if (stored.state == wire::JOB_STATE_BLOCKED) {
      LinkToParents(stored, now_ms, effects);
    }
    if (sentinel_behind) {
      AddSentinel(stored.spec.queue(), now_ms, effects);
    }
    wire::SubmitAck& ack = *submitted.add_acks();
    ack.set_client_seq(client_seq);
    ack.set_id(std::string(stored.id.Bytes()));
  }
}

std::string BrokerCore::RefuseSpec(const wire::JobSpec& spec, TimeMs now_ms) const {
  if (spec.task().empty()) {
    return "job has no task name";
  }
  if (spec.payload().size() > options_.payload_bytes_max) {
    return "payload is " + std::to_string(spec.payload().size()) + " bytes; the limit is " +
           std::to_string(options_.payload_bytes_max) + " (--payload-max)";
  }
  if (std::string bad_times = CheckSpecTimes(spec, now_ms); !bad_times.empty()) {
    return bad_times;
  }
  if (spec.idempotency_key().starts_with(kReservedKeyPrefix)) {
    return "idempotency keys starting with \"" + std::string(kReservedKeyPrefix) +
           "\" are the broker's own (a schedule's firings); choose another key";
  }
  if (spec.on_parent_failure() != wire::PARENT_FAILURE_CANCEL &&
      spec.on_parent_failure() != wire::PARENT_FAILURE_RUN) {
    return "on_parent_failure " + std::to_string(spec.on_parent_failure()) +
           " is not one this broker knows (0 cancel, 1 run)";
  }
  return "";
}

Job& BrokerCore::AddJob(wire::JobSpec spec, TimeMs now_ms, Effects* effects,
                        const std::optional<JobId>& workflow, std::string node) {
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
  if (workflow) {
    JobLinks& links = stored.links.Make();
    links.workflow = workflow;
    links.node = std::move(node);
  }
  stats_.OnSubmitted(stored, now_ms);
  ++counters_.submitted;
  if (stored.spec.after_size() > 0) {
    // Admitted blocked; the caller links it once its parents exist (a
    // workflow's may be created after it).
    stored.state = wire::JOB_STATE_BLOCKED;
    Admit(stored);
    effects->JobChanged(stored.id);
    return stored;
  }
  Admit(stored);
  if (stored.spec.not_before_ms() > now_ms) {
    Schedule(stored, stored.spec.not_before_ms(), now_ms, effects);
  } else {
    Enqueue(stored, /*at_front=*/false, now_ms, effects);
  }
  return stored;
}

std::string BrokerCore::WaitingRoomFor(const std::string& queue_name) const {
  if (const size_t waiting = index_.Waiting(queue_name); waiting >= options_.queue_depth_max) {
    return "queue \"" + queue_name + "\" holds " + std::to_string(waiting) +
           " waiting jobs, its limit (--queue-max); retry later or add workers";
  }
  return "";
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

}  // namespace jobq::broker::core
