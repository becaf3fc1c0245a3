#include "tests/sim/checkers/at_most_one_lease.h"

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::Job;

const Job& AtMostOneLease::LeasedJob(const JobId& id, const BrokerCore& core) const {
  const Job* job = core.FindJob(id);
  SIM_EXPECT(job != nullptr, "leased job lost: " + Hex(id));
  return *job;
}

void AtMostOneLease::CheckHeld(const JobId& id, const Lease& lease, const Job& job) const {
  SIM_EXPECT(job.lease_expires_ms == lease.expires_ms,
             "lease of " + Hex(id) + " on " + lease.worker + " expires at +" +
                 std::to_string(job.lease_expires_ms - env_.start_ms) + "ms, expected +" +
                 std::to_string(lease.expires_ms - env_.start_ms) + "ms");
  SIM_EXPECT(env_.Now() <= lease.expires_ms + kExpiryLatenessMaxMs,
             "lease of " + Hex(id) + " on " + lease.worker + " expired " +
                 std::to_string(env_.Now() - lease.expires_ms) + "ms ago and is still held");
}

void AtMostOneLease::CheckTakenBack(const JobId& id, const Lease& lease, const Job& job) const {
  SIM_EXPECT(env_.Now() >= lease.expires_ms,
             "lease of " + Hex(id) + " (attempt " + std::to_string(lease.attempt) + " on " +
                 lease.worker + (lease.orphan() ? ", an orphan" : "") + ") taken back " +
                 std::to_string(lease.expires_ms - env_.Now()) +
                 "ms before it expired; the job is " + wire::JobState_Name(job.state) +
                 " attempt " + std::to_string(job.attempt) + " on '" + job.leased_to + "'");
}

void AtMostOneLease::CheckDispatched(const JobId& id, const std::string& worker,
                                     uint32_t attempt) const {
  if (auto old = model_.leases().find(id); old != model_.leases().end()) {
    SimFail("job " + Hex(id) + " dispatched to " + worker + " (attempt " + std::to_string(attempt) +
            ") while still leased to " + old->second.worker +
            (old->second.orphan() ? " (an orphan)" : "") + " (attempt " +
            std::to_string(old->second.attempt) + ")");
  }
  SIM_EXPECT(model_.registered().count(worker) > 0, "dispatch to unregistered " + worker);
}

void AtMostOneLease::CheckEndedBeforeTerminal(const JobId& id, wire::JobState state) const {
  SIM_EXPECT(!model_.leases().count(id),
             "job " + Hex(id) + " became " + wire::JobState_Name(state) + " while leased to " +
                 model_.leases().at(id).worker + " with no result from it");
}

void AtMostOneLease::CheckCancelsSent(const std::set<std::pair<std::string, JobId>>& expected,
                                      const std::set<std::pair<std::string, JobId>>& sent) const {
  for (const auto& [worker, id] : expected) {
    SIM_EXPECT(sent.count({worker, id}),
               "lease of " + Hex(id) + " taken from " + worker + " without a CANCEL to it");
  }
}

void AtMostOneLease::CheckRunningLeased(const BrokerCore& core) const {
  for (const auto& [id, model] : model_.jobs()) {
    const Job* job = core.FindJob(id);
    if (job->state == wire::JOB_STATE_RUNNING) {
      SIM_EXPECT(model_.leases().count(id) > 0,
                 "core has " + Hex(id) + " running on " + job->leased_to + " without a lease");
    }
  }
}

}  // namespace jobq::testing
