#pragma once
// OutcomesDelivered: guarantee 2 of DESIGN §11, second half. An outcome
// leaves only once the job's terminal state is committed; a watcher gets
// at most one outcome per registration (WAIT or a notify SUBMIT, renewed
// after a restart) plus one per WAIT sent once the job had finished, all
// with that state, never `unknown_job`; clients get no ERROR. (That each
// of them does get its outcome is Liveness's.)
//
// Not thread-safe.

#include <map>
#include <string>
#include <utility>

#include "broker/core/effects.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

class OutcomesDelivered {
 public:
  // `model` must outlive the checker.
  explicit OutcomesDelivered(const SimModel& model) : model_(model) {}

  // A message to a client leaves: the outcomes its step allowed that
  // client count from now on (lost with the message in a crash), then its
  // own outcomes are checked.
  void OnClientMessageLeaves(const broker::core::Outbound& out, Release& release);
  [[noreturn]] void ErrorToClient(const broker::core::Outbound& out) const;

 private:
  void CheckOutcome(const std::string& client, const wire::JobOutcome& outcome);

  const SimModel& model_;
  // Per (client, job): outcomes allowed to leave, and those that left.
  std::map<std::pair<std::string, JobId>, int> allowed_;
  std::map<std::pair<std::string, JobId>, int> sent_;
};

}  // namespace jobq::testing
