#include "tests/sim/checkers/attempts_never_reused.h"

namespace jobq::testing {

JobId AttemptsNeverReused::DispatchedId(const wire::DispatchedJob& job) const {
  std::optional<JobId> id = JobId::FromBytes(job.id());
  SIM_EXPECT(id.has_value(), "DISPATCH with a bad id");
  return *id;
}

void AttemptsNeverReused::CheckDispatched(const JobId& id, const std::string& worker,
                                          uint32_t attempt) const {
  auto found = model_.jobs().find(id);
  SIM_EXPECT(found != model_.jobs().end(), "DISPATCH of a job never acknowledged: " + Hex(id));
  const JobModel& model = found->second;
  SIM_EXPECT(!model.terminal, "finished job " + Hex(id) + " dispatched again");
  SIM_EXPECT(attempt == model.attempt + 1,
             "DISPATCH of " + Hex(id) + " as attempt " + std::to_string(attempt) + " to " + worker +
                 "; the model has it at " + std::to_string(model.attempt));
}

void AttemptsNeverReused::CheckAttempt(const JobId& id, const JobModel& model,
                                       const broker::core::Job& job) const {
  SIM_EXPECT(job.attempt == model.attempt,
             "core has " + Hex(id) + " " + wire::JobState_Name(job.state) + " at attempt " +
                 std::to_string(job.attempt) + ", the model at " + std::to_string(model.attempt));
}

void AttemptsNeverReused::OnDispatchLeaves(const broker::core::Outbound& out) {
  const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
  for (const wire::DispatchedJob& job : dispatch.jobs()) {
    const JobId id = DispatchedId(job);
    uint32_t& sent = attempts_sent_[id];
    std::string& to = last_dispatch_to_[id];
    SIM_EXPECT(job.attempt() > sent,
               "DISPATCHes of " + Hex(id) + " went from attempt " + std::to_string(sent) + " (to " +
                   to + ") to " + std::to_string(job.attempt()) + " (to " + out.routing_id + ")");
    sent = job.attempt();
    to = out.routing_id;
  }
}

void AttemptsNeverReused::OnDispatchReceived(const JobId& id, uint32_t attempt,
                                             const std::string& worker) {
  // Attempts are never reused, not even by a broker that restarted before
  // the commit that recorded this DISPATCH: it skips the numbers an
  // unrecorded DISPATCH may have used.
  auto [holder, first] = attempt_holders_.emplace(std::pair{id, attempt}, worker);
  SIM_EXPECT(first, "attempt " + std::to_string(attempt) + " of " + Hex(id) + " reached " +
                        holder->second + " and " + worker);
}

uint32_t AttemptsNeverReused::HighestSent(const JobId& id) const {
  auto sent = attempts_sent_.find(id);
  return sent == attempts_sent_.end() ? 0 : sent->second;
}

}  // namespace jobq::testing
