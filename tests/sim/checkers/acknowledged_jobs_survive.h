#pragma once
// AcknowledgedJobsSurvive: guarantee 1 of DESIGN §11, no job is lost.
//
// Every job of a committed batch (a superset of the acknowledged ones) is
// known to the core for the whole run, across restarts (the result TTL
// outlasts a run), and after a crash the store holds exactly the jobs of
// the committed batches, as the model had them (attempts, failures,
// terminal states, lease holders), and no other; each batch writes the
// jobs as the model has them. A SUBMITTED leaves only once the jobs and
// sentinels it acknowledges are committed; every SubmitAck a client
// receives names such a job; a job acknowledged twice (a re-sent submit)
// has the same id both times; one job per submit_token and per idempotency
// key, in the core and in the store; a duplicate ack names the first job.
//
// Not thread-safe.

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "broker/store/store.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

class AcknowledgedJobsSurvive {
 public:
  // `model` must outlive the checker.
  explicit AcknowledgedJobsSurvive(const SimModel& model) : model_(model) {}

  // ---- the core's steps

  // The core's answer to one job of a SUBMIT: the job's id (never a
  // rejection: the simulation only submits what fits).
  JobId AckedId(const wire::SubmitAck& ack) const;
  // A duplicate ack names the job that has the spec's key or token.
  void CheckDuplicateAck(const std::string& client, const wire::JobSpec& spec, uint64_t client_seq,
                         const JobId& id) const;
  // A new job: a new id, the only one of its token and key, in the core.
  void CheckNewJob(const wire::JobSpec& spec, const JobId& id,
                   const broker::core::BrokerCore& core) const;
  // A job the core changed: one it accepted, and still has.
  const broker::core::Job& ChangedJob(const JobId& id, const broker::core::BrokerCore& core) const;
  void CheckNoneErased(const broker::core::Effects& effects) const;
  // Every job acknowledged to a client is known to the core.
  void CheckKnown(const broker::core::BrokerCore& core) const;

  // ---- the store

  void CheckWrittenJobKnown(const JobId& id, bool known) const;
  // A job as a batch writes it or the store has it, against the model;
  // `where` opens the failure's message.
  void CheckStored(const broker::core::Job& job, const DurableJob& durable,
                   const std::string& where) const;
  // After a crash: exactly the jobs of the committed batches, as the model
  // had them.
  void CheckRecovered(const broker::store::Recovered& recovered) const;
  // Once the writer is idle at the end: every job as the core has it.
  void CheckAllWritten(const broker::store::Recovered& recovered) const;

  // ---- what leaves the broker and reaches clients

  void OnSubmittedLeaves(const wire::Submitted& submitted, const Release& release) const;
  // `client` received an ack of `client_seq` naming `id`; `acked_as` is
  // what it holds for that client_seq now (the first ack's id).
  void OnAckReceived(const std::string& client, uint64_t client_seq, const JobId& id,
                     const JobId& acked_as);
  // The spec of a job acknowledged for the first time.
  void CheckAckedSpec(const wire::JobSpec& spec) const;

 private:
  const SimModel& model_;
  std::set<JobId> acknowledged_;  // to some client: kept for the whole run
};

}  // namespace jobq::testing
