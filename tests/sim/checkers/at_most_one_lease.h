#pragma once
// AtMostOneLease: guarantee 3 of DESIGN §11, no job leased to two workers at
// once. The model's leases (DISPATCH, HELLO transfers and adoptions of
// orphans, accepted results, late successes, ended sessions, restarts that
// turn the committed running jobs into orphans) agree with the core's both
// ways, lease_expires_ms included (renewed by heartbeats that list a job
// without a timeout); the core takes a lease back only once it expired,
// with a CANCEL to its holder, and not much later.
//
// Not thread-safe.

#include <set>
#include <string>
#include <utility>

#include "broker/core/broker_core.h"
#include "broker/core/job.h"
#include "common/job_id.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

class AtMostOneLease {
 public:
  // `env` and `model` must outlive the checker.
  AtMostOneLease(const SimEnv& env, const SimModel& model) : env_(env), model_(model) {}

  // The core's job under a lease of the model's.
  const broker::core::Job& LeasedJob(const JobId& id, const broker::core::BrokerCore& core) const;
  // The core holds the lease as the model does: until when, too.
  void CheckHeld(const JobId& id, const Lease& lease, const broker::core::Job& job) const;
  // The core ended the lease on its own: it had expired.
  void CheckTakenBack(const JobId& id, const Lease& lease, const broker::core::Job& job) const;
  // A DISPATCH of a job no one holds, to a registered worker.
  void CheckDispatched(const JobId& id, const std::string& worker, uint32_t attempt) const;
  // A job finishes only once its lease ended (by a result, or taken back).
  void CheckEndedBeforeTerminal(const JobId& id, wire::JobState state) const;
  // Every lease taken back this step came with a CANCEL to its holder.
  void CheckCancelsSent(const std::set<std::pair<std::string, JobId>>& expected,
                        const std::set<std::pair<std::string, JobId>>& sent) const;
  // Every job the core runs is under a lease of the model's.
  void CheckRunningLeased(const broker::core::BrokerCore& core) const;

 private:
  const SimEnv& env_;
  const SimModel& model_;
};

}  // namespace jobq::testing
