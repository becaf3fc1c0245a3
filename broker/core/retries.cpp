// BrokerCore: a worker's RESULTs and what they make of a job — succeeded,
// failed (no second attempt fixes it), retried after a jittered backoff, or
// dead — and the operator's retry. Separate from leases.cpp, which takes a
// result for an attempt whose lease was taken back (LateResult).

#include <algorithm>
#include <random>

#include "broker/core/broker_core.h"

namespace jobq::broker::core {
namespace {

// Errors that a second attempt cannot fix (docs/protocol.md, "Job
// lifecycle"): every other type is retried while attempts are left.
bool IsRetryable(const std::string& error_type) {
  return error_type != "bad_args" && error_type != "unknown_task" &&
         error_type != "result_too_large" && error_type != "bad_result";
}

}  // namespace

void BrokerCore::Results(WorkerInfo& worker, const wire::WorkerResults& results, TimeMs now_ms,
                         Effects* effects) {
  for (const wire::JobResult& result : results.results()) {
    std::optional<JobId> id = JobId::FromBytes(result.id());
    auto it = id ? jobs_.find(*id) : jobs_.end();
    if (it == jobs_.end()) {
      ++counters_.late_results;
      continue;
    }
    Job& job = it->second;
    if (auto orphan = orphans_.find(job.id);
        orphan != orphans_.end() && job.attempt == result.attempt()) {
      // Recovered as running and not listed in a HELLO, yet only the worker
      // given this attempt can report it: its holder is back.
      orphans_.erase(orphan);
      job.leased_to = worker.routing_id;
      worker.leased.insert(job.id);
    }
    // One result per (job, attempt), from the worker holding the lease.
    if (job.state != wire::JOB_STATE_RUNNING || job.leased_to != worker.routing_id ||
        job.attempt != result.attempt()) {
      LateResult(job, result, now_ms, effects);
      continue;
    }
    if (!result.ok() && result.error().type() == kRefusedErrorType) {
      Refused(job, now_ms, effects);
      continue;
    }
    stats_.OnResult(job, result, now_ms);
    ReleaseLease(job);
    if (result.ok() && result.result().size() > options_.result_bytes_max) {
      // Workers check this themselves (WELCOME says the limit); one that
      // did not still cannot make the broker keep it.
      ++worker.jobs_failed;
      ++job.failures;
      job.error.Clear();
      job.error.set_type("result_too_large");
      job.error.set_message("the result is " + std::to_string(result.result().size()) +
                            " bytes; the broker keeps at most " +
                            std::to_string(options_.result_bytes_max) + " (--result-max)");
      Finish(job, wire::JOB_STATE_FAILED, now_ms, effects);
      continue;
    }
    if (result.ok()) {
      ++worker.jobs_done;
      job.result = result.result();
      job.result_content_type = result.content_type();
      job.error.Clear();
      Finish(job, wire::JOB_STATE_SUCCEEDED, now_ms, effects);
      continue;
    }
    ++worker.jobs_failed;
    ++job.failures;
    job.error = result.error();
    if (job.cancel_requested) {
      // Cancelled while it ran (a producer's CANCEL or admin CancelJobs):
      // whatever error its stop produced, it ends cancelled, never retried.
      job.error.set_message("cancelled while it ran; its worker stopped it (" + job.error.type() +
                            ": " + job.error.message() + ")");
      job.error.set_type(kCancelledErrorType);
      Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
      continue;
    }
    const uint32_t max_attempts = std::max<uint32_t>(1, job.spec.max_attempts());
    if (!IsRetryable(job.error.type()) || max_attempts == 1) {
      Finish(job, wire::JOB_STATE_FAILED, now_ms, effects);
    } else if (job.failures >= max_attempts) {
      Finish(job, wire::JOB_STATE_DEAD, now_ms, effects);
    } else {
      ++counters_.retried;
      Schedule(job, now_ms + BackoffFor(job), now_ms, effects);
    }
  }
}

TimeMs BrokerCore::BackoffFor(const Job& job) {
  // Exponential, capped, with "equal jitter" (half fixed, half random) so
  // that jobs failing together do not come back together.
  const TimeMs base = std::max<TimeMs>(1, job.spec.backoff_ms());
  const uint32_t doublings = std::min<uint32_t>(job.failures > 0 ? job.failures - 1 : 0, 40);
  // Compared before shifting: a long backoff doubled 40 times passes int64.
  const TimeMs delay =
      base > (options_.backoff_max_ms >> doublings) ? options_.backoff_max_ms : base << doublings;
  const TimeMs half = delay / 2;
  std::uniform_int_distribution<TimeMs> jitter(0, delay - half);
  return half + jitter(jitter_);
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
  // A job with parents that was never released (cancelled while blocked,
  // or for a parent's failure) waits for them again; one released before
  // runs again with the inputs it had.
  const bool never_released = job.spec.after_size() > 0 && job.links->inputs.empty();
  uint32_t unresolved = 0;
  if (never_released) {
    for (const std::string& raw : job.spec.after()) {
      auto parent = jobs_.find(*JobId::FromBytes(raw));
      if (parent == jobs_.end()) {
        return RetryOutcome::kWaitsForParents;
      }
      const wire::JobState state = parent->second.state;
      if (IsTerminal(state) && state != wire::JOB_STATE_SUCCEEDED &&
          job.spec.on_parent_failure() == wire::PARENT_FAILURE_CANCEL) {
        return RetryOutcome::kWaitsForParents;
      }
      if (!IsTerminal(state)) {
        ++unresolved;
      }
    }
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
  if (never_released) {
    Transition(job, wire::JOB_STATE_BLOCKED, now_ms);
    job.links->unresolved = unresolved;
    effects->JobChanged(job.id);
    if (unresolved == 0) {
      Release(job, now_ms, effects);
    }
  } else {
    Enqueue(job, /*at_front=*/false, now_ms, effects);
  }
  if (job.links) {
    ReviveChildren(job, now_ms, effects);
  }
  return RetryOutcome::kRetried;
}

}  // namespace jobq::broker::core
