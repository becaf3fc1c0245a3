#pragma once
// SimModel: what the simulation expects of the broker, worked out
// independently of it (DESIGN §11).
//
// It mirrors the core's memory step by step (jobs, attempts, leases,
// sentinels, registrations, watchers) and keeps, per job and sentinel, what
// each batch wrote as the model had it when the batch was handed over: what
// the store must hold once the batch committed. A crash rolls the mirror
// back to that (then applies what Restore does to it).
//
// SimModel only keeps the expectations; whether the broker met them is for
// the checkers (checkers/), which read the model and which it calls where a
// step shows something they judge.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "broker/core/job.h"
#include "broker/net/owned_batch.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_network.h"

namespace jobq::testing {

struct Checkers;

// What the simulation knows of each job, independently of the core.
struct JobModel {
  std::string queue;
  std::string token;
  std::string key;
  uint32_t max_attempts = 1;  // resolved as the core must resolve it
  TimeMs backoff_ms = 0;      // resolved too
  TimeMs timeout_ms = 0;
  size_t epoch = 0;  // sentinels accepted on its queue before it
  bool dispatched_or_done = false;
  // Delayed at submit: it enters its queue when due, behind whatever
  // barriers are there then, so the sentinels' order does not count it.
  bool outside_epochs = false;
  uint32_t attempt = 0;               // the core's job.attempt
  uint32_t failures = 0;              // failed results the core accepted
  bool cancel_requested = false;      // a CANCEL reached it while it ran (persisted)
  TimeMs not_before_ms = 0;           // a delayed job waits for its time, a retry for its backoff
  std::set<uint32_t> honest_results;  // attempts whose result was accepted from honest workers
  std::optional<wire::JobState> terminal;
};

struct Lease {
  std::string worker;
  uint32_t attempt = 0;
  // The worker's registration holding it; 0: an orphan, running when the
  // broker restarted and not claimed by a HELLO or RESULT yet.
  uint64_t session = 0;
  TimeMs expires_ms = 0;
  bool restored = false;  // restored as running: the core skips a number when it ends

  bool orphan() const { return session == 0; }
};

struct QueueModel {
  size_t sentinels = 0;  // committed
  size_t fired = 0;
  std::vector<size_t> pending_by_epoch;  // jobs neither dispatched nor done
};

struct SentinelModel {
  std::string queue;
  size_t index = 0;  // among its queue's sentinels
  bool fired = false;
};

// What the model expects a result to do to its job.
struct Prediction {
  wire::JobState want = wire::JOB_STATE_UNSPECIFIED;
  uint32_t attempt = 0;   // of the result
  uint32_t failures = 0;  // after it (a retry's backoff grows with them)
  bool refused = false;   // back in its queue at the front, or already dispatched again
};

// A job as a committed batch wrote it: the model's view of it when the
// batch was handed over to the writer.
struct DurableJob {
  JobModel model;
  std::optional<Lease> lease;  // running: its holder and attempt
};

// What a batch writes as the model had it at hand-over, in the order of
// the OwnedBatch's `changed` and `sentinels_added`.
struct BatchImage {
  std::vector<DurableJob> jobs;
  std::vector<SentinelModel> sentinels_added;
};

// What one step let out to clients (and its SENTINELs to workers), and what
// the model lets those messages carry, whenever the pipeline lets them go.
struct Release {
  uint64_t step = 0;
  // Outcomes the step allows, per client: counted once a message to that
  // client leaves (lost with the message in a crash).
  std::map<std::string, std::map<JobId, int>> allowances;
  // Sentinels fired by the step, per queue: the SENTINELs to that queue's
  // workers are their firing.
  std::map<std::string, std::vector<JobId>> fired;
  std::vector<JobId> sentinels_added;  // acknowledged by the step's SUBMITTED
};

class SimModel {
 public:
  // `checks` is called from every method below that sees what it judges;
  // it must outlive the model.
  SimModel(SimEnv& env, const broker::core::CoreOptions& options, Checkers& checks)
      : env_(env), options_(options), checks_(checks) {}

  // ---- a step: its input, then its effects.

  void BeforeClientMessage(const Message& message);
  void AfterClientMessage(const Message& message, const broker::core::Effects& effects,
                          const broker::core::BrokerCore& core);
  // Decides, from the model alone, what the core must do with a worker's
  // message; returns what the results must do to their jobs.
  std::map<JobId, Prediction> BeforeWorkerMessage(const Message& message, bool honest);
  // Whether the results did what `predictions` said; a retry's backoff, as
  // the core chose it, holds its next DISPATCH back.
  void AfterResults(const std::string& worker, const std::map<JobId, Prediction>& predictions,
                    const broker::core::BrokerCore& core);
  // What the step's effects mean; the pipeline decides when its messages leave.
  void AfterStep(const broker::core::Effects& effects, const broker::core::BrokerCore& core);
  // Every job, lease and acknowledgement against the core.
  void SweepChecks(const broker::core::BrokerCore& core);
  // What the messages of the step being modelled may carry.
  Release TakeStepRelease();

  // ---- the store.

  // Batch `number` is handed over to the writer: what it writes, as the
  // model has it now.
  BatchImage ImageOf(const broker::net::OwnedBatch& batch, uint64_t number);
  // That batch reached the disk: the store's image moves on.
  void Committed(const broker::net::OwnedBatch& batch, BatchImage image, uint64_t number);
  // The broker restarted: the mirror becomes what the committed batches
  // wrote, then what Restore makes of it (running jobs are orphans until
  // `orphan_until`); the new broker knows no worker and no watcher.
  void RollBack(TimeMs orphan_until);

  // ---- read by the checkers and the peers.

  TimeMs LeaseExpiry(const JobModel& model, TimeMs now_ms) const;
  const broker::core::CoreOptions& options() const { return options_; }
  const std::map<JobId, JobModel>& jobs() const { return jobs_; }
  const std::map<std::string, JobId>& tokens() const { return tokens_; }
  const std::map<std::string, JobId>& keys() const { return keys_; }
  const std::map<std::string, QueueModel>& queues() const { return queues_; }
  const std::map<JobId, SentinelModel>& sentinels() const { return sentinels_; }
  const std::map<JobId, Lease>& leases() const { return leases_; }
  const std::set<std::string>& registered() const { return registered_; }
  const std::map<JobId, DurableJob>& durable_jobs() const { return durable_jobs_; }
  const std::map<JobId, SentinelModel>& durable_sentinels() const { return durable_sentinels_; }

 private:
  using LeaseMap = std::map<JobId, Lease>;

  void AddSentinel(const std::string& queue_name, const broker::core::Effects& effects,
                   size_t added_index);
  // Registers the jobs the step created and checks the duplicates; returns
  // how many sentinels the step must have added.
  size_t AfterSubmit(const std::string& client, const wire::Submit& submit,
                     const broker::core::Effects& effects, const broker::core::BrokerCore& core);
  void ResolveDefaults(const wire::JobSpec& spec, JobModel& model) const;
  void AcceptResults(const std::string& worker, const wire::WorkerResults& results, bool honest,
                     std::map<JobId, Prediction>& predictions);
  void Hello(const std::string& worker, const wire::Hello& hello, bool registered);
  LeaseMap::iterator EndLease(LeaseMap::iterator it);
  // Ends the leases of `worker` in sessions other than `keep_session`.
  // Orphans belong to no session: only their expiry or a claim ends them.
  void EndLeases(const std::string& worker, uint64_t keep_session);
  void OnDispatched(const JobId& id, const std::string& worker, uint32_t attempt);
  void MarkDispatchedOrDone(JobModel& model);
  void SetTerminal(const JobId& id, JobModel& model, wire::JobState state);
  void ForgetEndedSessions(const broker::core::BrokerCore& core, bool hello);
  // Leases the core ended on its own must have expired; the others must
  // agree with the model's, expiry included.
  void SyncLeases(const broker::core::BrokerCore& core);
  void FireSentinels(const broker::core::Effects& effects);
  void CheckJob(const JobId& id, const broker::core::BrokerCore& core);

  SimEnv& env_;
  const broker::core::CoreOptions options_;
  Checkers& checks_;
  Release step_release_;  // what the step being modelled lets its messages carry

  // What the committed batches wrote: what the store must hold.
  std::map<JobId, DurableJob> durable_jobs_;
  std::map<JobId, SentinelModel> durable_sentinels_;  // fired: its removal is committed

  // The core's memory, as the model has it (rolled back by a crash).
  std::map<JobId, JobModel> jobs_;
  std::map<std::string, JobId> tokens_;
  std::map<std::string, JobId> keys_;
  std::map<std::string, QueueModel> queues_;
  std::map<JobId, SentinelModel> sentinels_;
  LeaseMap leases_;
  std::map<std::string, uint64_t> session_;
  uint64_t next_session_ = 0;
  // The core's registration of each worker, (instance, number), and the
  // latest number each instance registered (in this broker life).
  std::map<std::string, std::pair<uint64_t, uint64_t>> registration_of_;
  std::map<uint64_t, uint64_t> latest_registration_;
  std::set<std::string> registered_;
  std::map<std::string, TimeMs> last_heard_ms_;
  std::string expect_removal_;
  bool hello_this_step_ = false;
  std::set<std::pair<std::string, JobId>> expected_cancels_;  // (worker, job) this step
  std::vector<JobId> expect_cancelled_;                       // by a client's CANCEL this step
  std::map<JobId, std::set<std::string>> watchers_;           // as the core has them
};

}  // namespace jobq::testing
