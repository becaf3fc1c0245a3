#include "tests/sim/checkers/acknowledged_jobs_survive.h"

#include <map>

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::IsTerminal;
using broker::core::Job;

JobId AcknowledgedJobsSurvive::AckedId(const wire::SubmitAck& ack) const {
  std::optional<JobId> id = JobId::FromBytes(ack.id());
  SIM_EXPECT(id.has_value(), "SUBMIT rejected: " + ack.error().message());
  return *id;
}

void AcknowledgedJobsSurvive::CheckDuplicateAck(const std::string& client,
                                                const wire::JobSpec& spec, uint64_t client_seq,
                                                const JobId& id) const {
  const auto& keys = model_.keys();
  const auto& tokens = model_.tokens();
  auto by_key = spec.idempotency_key().empty() ? keys.end() : keys.find(spec.idempotency_key());
  auto by_token = tokens.find(spec.submit_token());
  SIM_EXPECT(by_key != keys.end() || by_token != tokens.end(),
             "duplicate ack for client_seq " + std::to_string(client_seq) + " of " + client +
                 ", whose key and token no job has");
  SIM_EXPECT(by_key == keys.end() || by_key->second == id,
             "duplicate ack names " + Hex(id) + ", the key's job is " + Hex(by_key->second));
  SIM_EXPECT(by_token == tokens.end() || by_token->second == id,
             "duplicate ack names " + Hex(id) + ", the token's job is " + Hex(by_token->second));
}

void AcknowledgedJobsSurvive::CheckNewJob(const wire::JobSpec& spec, const JobId& id,
                                          const BrokerCore& core) const {
  SIM_EXPECT(!model_.jobs().count(id), "job id reused: " + Hex(id));
  auto token = model_.tokens().find(spec.submit_token());
  SIM_EXPECT(token == model_.tokens().end(),
             "a second job (" + Hex(id) + ") for the submit token of " + Hex(token->second));
  SIM_EXPECT(spec.idempotency_key().empty() || !model_.keys().count(spec.idempotency_key()),
             "a second job (" + Hex(id) + ") for idempotency key " + spec.idempotency_key());
  SIM_EXPECT(core.FindJob(id) != nullptr, "acknowledged job " + Hex(id) + " unknown to the core");
}

const Job& AcknowledgedJobsSurvive::ChangedJob(const JobId& id, const BrokerCore& core) const {
  SIM_EXPECT(model_.jobs().count(id), "the core changed " + Hex(id) + ", a job it never accepted");
  const Job* job = core.FindJob(id);
  SIM_EXPECT(job != nullptr, "job lost: " + Hex(id));
  return *job;
}

void AcknowledgedJobsSurvive::CheckNoneErased(const broker::core::Effects& effects) const {
  SIM_EXPECT(effects.erased_jobs.empty(), "a job was erased within its result TTL");
}

void AcknowledgedJobsSurvive::CheckKnown(const BrokerCore& core) const {
  for (const JobId& id : acknowledged_) {
    SIM_EXPECT(core.FindJob(id) != nullptr, "acknowledged job lost: " + Hex(id));
  }
}

void AcknowledgedJobsSurvive::CheckWrittenJobKnown(const JobId& id, bool known) const {
  SIM_EXPECT(known, "the core writes " + Hex(id) + ", a job it never accepted");
}

void AcknowledgedJobsSurvive::CheckStored(const Job& job, const DurableJob& durable,
                                          const std::string& where) const {
  const JobId& id = job.id;
  const JobModel& model = durable.model;
  SIM_EXPECT(job.spec.submit_token() == model.token && job.spec.idempotency_key() == model.key,
             where + Hex(id) + " under another submit token or key");
  SIM_EXPECT(job.attempt == model.attempt && job.failures == model.failures,
             where + Hex(id) + " at attempt " + std::to_string(job.attempt) + " with " +
                 std::to_string(job.failures) + " failures; the model at " +
                 std::to_string(model.attempt) + " with " + std::to_string(model.failures));
  SIM_EXPECT(model.terminal ? job.state == *model.terminal : !IsTerminal(job.state),
             where + Hex(id) + " " + wire::JobState_Name(job.state) + ", the model " +
                 (model.terminal ? wire::JobState_Name(*model.terminal) : "unfinished"));
  SIM_EXPECT(job.cancel_requested == model.cancel_requested,
             where + Hex(id) + (job.cancel_requested ? " cancelled" : " not cancelled") +
                 " while it ran; the model " + (model.cancel_requested ? "yes" : "no"));
  const std::optional<Lease>& lease = durable.lease;
  SIM_EXPECT((job.state == wire::JOB_STATE_RUNNING) == lease.has_value(),
             where + Hex(id) + " " + wire::JobState_Name(job.state) +
                 (lease ? ", the model a lease on " + lease->worker : ", the model no lease"));
  if (lease) {
    SIM_EXPECT(job.leased_to == lease->worker && job.attempt == lease->attempt,
               where + Hex(id) + " leased to " + job.leased_to + " (attempt " +
                   std::to_string(job.attempt) + "), the model to " + lease->worker + " (attempt " +
                   std::to_string(lease->attempt) + ")");
  }
}

void AcknowledgedJobsSurvive::CheckRecovered(const broker::store::Recovered& recovered) const {
  std::map<JobId, const Job*> stored;
  std::map<std::string, int> per_token;
  std::map<std::string, int> per_key;
  const auto& durable_jobs = model_.durable_jobs();
  for (const Job& job : recovered.jobs) {
    SIM_EXPECT(stored.emplace(job.id, &job).second, "the store holds " + Hex(job.id) + " twice");
    SIM_EXPECT(durable_jobs.count(job.id),
               "the store holds " + Hex(job.id) + ", no committed batch wrote it");
    SIM_EXPECT(++per_token[job.spec.submit_token()] == 1,
               "the store holds two jobs for one submit token, " + Hex(job.id) + " one of them");
    if (!job.spec.idempotency_key().empty()) {
      SIM_EXPECT(++per_key[job.spec.idempotency_key()] == 1,
                 "the store holds two jobs for key " + job.spec.idempotency_key());
    }
  }
  for (const auto& [id, durable] : durable_jobs) {
    auto found = stored.find(id);
    SIM_EXPECT(found != stored.end(), "committed job missing from the store: " + Hex(id));
    CheckStored(*found->second, durable, "the store has ");
  }
}

void AcknowledgedJobsSurvive::CheckAllWritten(const broker::store::Recovered& recovered) const {
  CheckRecovered(recovered);
  for (const auto& [id, model] : model_.jobs()) {
    auto durable = model_.durable_jobs().find(id);
    SIM_EXPECT(durable != model_.durable_jobs().end() &&
                   durable->second.model.attempt == model.attempt &&
                   durable->second.model.failures == model.failures &&
                   durable->second.model.terminal == model.terminal,
               "once all is written, the store does not have " + Hex(id) + " as the core has it");
  }
}

void AcknowledgedJobsSurvive::OnSubmittedLeaves(const wire::Submitted& submitted,
                                                const Release& release) const {
  for (const wire::SubmitAck& ack : submitted.acks()) {
    std::optional<JobId> id = JobId::FromBytes(ack.id());
    SIM_EXPECT(!id || model_.durable_jobs().count(*id),
               "SUBMITTED names " + Hex(*id) + " before its commit");
  }
  for (const JobId& id : release.sentinels_added) {
    SIM_EXPECT(model_.durable_sentinels().count(id),
               "SUBMITTED acknowledges sentinel " + Hex(id) + " before its commit");
  }
}

void AcknowledgedJobsSurvive::OnAckReceived(const std::string& client, uint64_t client_seq,
                                            const JobId& id, const JobId& acked_as) {
  SIM_EXPECT(model_.durable_jobs().count(id) > 0, "acknowledged an id the store does not have");
  SIM_EXPECT(acked_as == id, "client_seq " + std::to_string(client_seq) + " of " + client +
                                 " acknowledged as " + Hex(acked_as) + " and then as " + Hex(id));
  acknowledged_.insert(id);
}

void AcknowledgedJobsSurvive::CheckAckedSpec(const wire::JobSpec& spec) const {
  SIM_EXPECT(
      model_.tokens().count(spec.submit_token()) || model_.keys().count(spec.idempotency_key()),
      "acknowledged a job whose token and key no job has");
}

}  // namespace jobq::testing
