#include "tests/sim/checkers/outcomes_delivered.h"

namespace jobq::testing {

using broker::core::IsTerminal;

void OutcomesDelivered::OnClientMessageLeaves(const broker::core::Outbound& out, Release& release) {
  if (auto allowed = release.allowances.find(out.routing_id); allowed != release.allowances.end()) {
    for (const auto& [id, count] : allowed->second) {
      allowed_[{out.routing_id, id}] += count;
    }
    release.allowances.erase(allowed);
  }
  if (out.command != Command::kClientResult) {
    return;
  }
  const auto& results = static_cast<const wire::ClientResults&>(*out.body);
  for (const wire::JobOutcome& outcome : results.outcomes()) {
    CheckOutcome(out.routing_id, outcome);
  }
}

void OutcomesDelivered::ErrorToClient(const broker::core::Outbound& out) const {
  const auto& error = static_cast<const wire::Error&>(*out.body);
  SimFail("ERROR to client " + out.routing_id + ": " + error.text());
}

void OutcomesDelivered::CheckOutcome(const std::string& client, const wire::JobOutcome& outcome) {
  std::optional<JobId> id = JobId::FromBytes(outcome.id());
  SIM_EXPECT(id.has_value(), "outcome without a job id");
  auto found = model_.jobs().find(*id);
  SIM_EXPECT(found != model_.jobs().end(), "outcome for a job never acknowledged: " + Hex(*id));
  const JobModel& model = found->second;
  SIM_EXPECT(IsTerminal(outcome.state()),
             "outcome for " + Hex(*id) + " in state " + wire::JobState_Name(outcome.state()) +
                 " (" + outcome.error().type() + ": " + outcome.error().message() + ")");
  SIM_EXPECT(model.terminal.has_value(), "outcome " + wire::JobState_Name(outcome.state()) +
                                             " for " + Hex(*id) + ", not finished");
  SIM_EXPECT(*model.terminal == outcome.state(),
             "job " + Hex(*id) + " reported " + wire::JobState_Name(outcome.state()) + " after " +
                 wire::JobState_Name(*model.terminal));
  auto durable = model_.durable_jobs().find(*id);
  SIM_EXPECT(
      durable != model_.durable_jobs().end() && durable->second.model.terminal == model.terminal,
      "outcome " + wire::JobState_Name(outcome.state()) + " for " + Hex(*id) +
          " left before that state was committed");
  const std::pair<std::string, JobId> key{client, *id};
  const int count = ++sent_[key];
  SIM_EXPECT(count <= allowed_[key], "client " + client + " got " + std::to_string(count) +
                                         " outcomes for " + Hex(*id) + ", more than it asked for");
}

}  // namespace jobq::testing
