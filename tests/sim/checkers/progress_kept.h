#pragma once
// ProgressKept: the progress rules of docs/protocol.md (PROGRESS), issue 17
// item 5. Only a running job, leased to the sender at the report's attempt,
// takes a new report, and then exactly that report; a finished job keeps
// the last report accepted for its last attempt (or none, when that
// attempt reported nothing), and so does the store it is recovered from.
// (That a kept report is of the job's current or last attempt is the
// core's own invariant, BrokerCore::CheckInvariants.)
//
// Not thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "broker/core/job.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_env.h"

namespace jobq::testing {

class ProgressKept {
 public:
  // What the core had of the jobs a PROGRESS names, before it is handled.
  struct Before {
    std::string sender;
    wire::Progress progress;
    std::map<JobId, broker::core::Job> jobs;  // as they were (watchers aside)
  };
  Before BeforeProgress(const std::string& sender, const std::string& body,
                        const broker::core::BrokerCore& core) const;
  // The core handled it (and ticked) at `now_ms`: every change of a named
  // job's report is the acceptance of one of its reports.
  void AfterProgress(const Before& before, const broker::core::BrokerCore& core, TimeMs now_ms,
                     Coverage& coverage);
  // Every finished job keeps what was last accepted for its last attempt.
  void CheckFinished(const broker::core::BrokerCore& core) const;
  // After a restart: recovered finished jobs keep what was accepted;
  // unfinished ones start from what the store had.
  void CheckRecovered(const std::vector<broker::core::Job>& jobs);

 private:
  void CheckFinishedJob(const broker::core::Job& job, const char* where) const;

  // The last report the core accepted, per job, of any attempt.
  std::map<JobId, broker::core::JobProgress> accepted_;
};

}  // namespace jobq::testing
