#pragma once
// AttemptsNeverReused: guarantee 4 of DESIGN §11, first half. A job's
// attempt is the model's: a DISPATCH takes the next number, a restore adds
// one to every queued or scheduled job and a requeued orphan gets one more
// (an unrecorded DISPATCH may have used it). So, although a DISPATCH leaves
// before its commit, the attempts in the DISPATCHes that leave strictly
// increase per job, across restarts, and each attempt reaches one worker
// only.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

class AttemptsNeverReused {
 public:
  // `model` must outlive the checker.
  explicit AttemptsNeverReused(const SimModel& model) : model_(model) {}

  // ---- the core's steps

  JobId DispatchedId(const wire::DispatchedJob& job) const;
  // A DISPATCH the core made: of a job it accepted and that has not
  // finished, with the next attempt number.
  void CheckDispatched(const JobId& id, const std::string& worker, uint32_t attempt) const;
  void CheckAttempt(const JobId& id, const JobModel& model, const broker::core::Job& job) const;

  // ---- what leaves the broker and reaches workers

  void OnDispatchLeaves(const broker::core::Outbound& out);
  void OnDispatchReceived(const JobId& id, uint32_t attempt, const std::string& worker);
  // The highest attempt of `id` that left in a DISPATCH (0: none), which a
  // crash does not take back.
  uint32_t HighestSent(const JobId& id) const;

 private:
  const SimModel& model_;
  // What left the broker: no crash takes it back.
  std::map<JobId, uint32_t> attempts_sent_;  // the highest attempt DISPATCHed, per job
  std::map<JobId, std::string> last_dispatch_to_;
  std::map<std::pair<JobId, uint32_t>, std::string> attempt_holders_;  // who got each attempt
};

}  // namespace jobq::testing
