#pragma once
// ResultsFollowProtocol: guarantee 4 of DESIGN §11, second half. Results
// are accepted exactly when the model says (the lease holder's attempt, or
// an orphan's attempt), at most once per (job, attempt) from honest
// workers, and move the job to the state the protocol says: a retry waits
// its backoff (exponential, jittered, within bounds) and is not dispatched
// before; a late success of a taken-back attempt (unrecorded ones
// included) finishes an unfinished job once, late failures change nothing;
// accepted failures never exceed max_attempts, which the model resolves
// from the queue's and broker's defaults as the core must.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <string>

#include "broker/core/broker_core.h"
#include "broker/core/job.h"
#include "common/job_id.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

class ResultsFollowProtocol {
 public:
  // `env` and `model` must outlive the checker.
  ResultsFollowProtocol(const SimEnv& env, const SimModel& model) : env_(env), model_(model) {}

  // The core resolved a new job's max_attempts and backoff as the model did.
  void CheckResolved(const JobId& id, const JobModel& model,
                     const broker::core::BrokerCore& core) const;
  // An honest worker's result for `attempt` was accepted; `first`: for the
  // first time.
  void CheckFirstResult(const JobId& id, uint32_t attempt, bool first) const;
  // After an accepted failure.
  void CheckFailures(const JobId& id, const JobModel& model) const;
  // The core left each job as `predictions` says.
  void CheckResults(const std::string& worker, const std::map<JobId, Prediction>& predictions,
                    const broker::core::BrokerCore& core) const;
  // A DISPATCH of a retry only once its backoff is over.
  void CheckDispatched(const JobId& id) const;
  void CheckFailureCount(const JobId& id, const JobModel& model,
                         const broker::core::Job& job) const;

 private:
  // The first retry waits between half the base and the base, each later
  // one twice as long, capped (BrokerCore::BackoffFor: "equal jitter").
  TimeMs RetryDelayMs(const JobModel& model, uint32_t failures) const;

  const SimEnv& env_;
  const SimModel& model_;
};

}  // namespace jobq::testing
