#include "tests/sim/checkers/results_follow_protocol.h"

#include <algorithm>

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::Job;

void ResultsFollowProtocol::CheckResolved(const JobId& id, const JobModel& model,
                                          const BrokerCore& core) const {
  const Job& job = *core.FindJob(id);
  SIM_EXPECT(
      job.spec.max_attempts() == model.max_attempts && job.spec.backoff_ms() == model.backoff_ms,
      "job " + Hex(id) + " resolved to max_attempts " + std::to_string(job.spec.max_attempts()) +
          ", backoff " + std::to_string(job.spec.backoff_ms()) + "ms; expected " +
          std::to_string(model.max_attempts) + ", " + std::to_string(model.backoff_ms) + "ms");
}

void ResultsFollowProtocol::CheckFirstResult(const JobId& id, uint32_t attempt, bool first) const {
  SIM_EXPECT(first,
             "a second result accepted for " + Hex(id) + " attempt " + std::to_string(attempt));
}

void ResultsFollowProtocol::CheckFailures(const JobId& id, const JobModel& model) const {
  SIM_EXPECT(model.failures <= model.max_attempts,
             "job " + Hex(id) + " failed more often than max_attempts");
}

TimeMs ResultsFollowProtocol::RetryDelayMs(const JobModel& model, uint32_t failures) const {
  const TimeMs base = std::max<TimeMs>(1, model.backoff_ms);
  const uint32_t doublings = std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 40);
  return std::min<TimeMs>(model_.options().backoff_max_ms, base << doublings);
}

void ResultsFollowProtocol::CheckResults(const std::string& worker,
                                         const std::map<JobId, Prediction>& predictions,
                                         const BrokerCore& core) const {
  for (const auto& [id, prediction] : predictions) {
    const Job* job = core.FindJob(id);
    SIM_EXPECT(job != nullptr, "job vanished after its result: " + Hex(id));
    bool ok = job->state == prediction.want;
    if (prediction.refused && prediction.want == wire::JOB_STATE_QUEUED) {
      // Pumped in the same step, it may be running again already.
      ok = ok || (job->state == wire::JOB_STATE_RUNNING && job->attempt > prediction.attempt);
    }
    if (prediction.want == wire::JOB_STATE_SCHEDULED) {
      const TimeMs delay = RetryDelayMs(model_.jobs().at(id), prediction.failures);
      const TimeMs wait = job->scheduled_ms - env_.Now();
      SIM_EXPECT(wait >= delay / 2 && wait <= delay,
                 "retry of " + Hex(id) + " after failure " + std::to_string(prediction.failures) +
                     " waits " + std::to_string(wait) + "ms, outside [" +
                     std::to_string(delay / 2) + ", " + std::to_string(delay) + "]");
      // A backoff that rounds to nothing is over at once.
      ok = ok || (wait == 0 &&
                  (job->state == wire::JOB_STATE_QUEUED ||
                   (job->state == wire::JOB_STATE_RUNNING && job->attempt > prediction.attempt)));
    }
    SIM_EXPECT(ok, "result from " + worker + " for " + Hex(id) + " attempt " +
                       std::to_string(prediction.attempt) + " left the job " +
                       wire::JobState_Name(job->state) + ", expected " +
                       wire::JobState_Name(prediction.want));
  }
}

void ResultsFollowProtocol::CheckDispatched(const JobId& id) const {
  const JobModel& model = model_.jobs().at(id);
  SIM_EXPECT(env_.Now() >= model.not_before_ms,
             Hex(id) + " dispatched " + std::to_string(model.not_before_ms - env_.Now()) +
                 "ms before its time (its delay, or a retry's backoff)");
}

void ResultsFollowProtocol::CheckFailureCount(const JobId& id, const JobModel& model,
                                              const Job& job) const {
  SIM_EXPECT(job.failures == model.failures, "core counts " + std::to_string(job.failures) +
                                                 " failures of " + Hex(id) + ", the model " +
                                                 std::to_string(model.failures));
}

}  // namespace jobq::testing
