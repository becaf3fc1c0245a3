#pragma once
// SimBroker: the broker process of the simulation, and the disk it
// outlives.
//
// The process is a BrokerCore and the loop's own commit pipeline
// (broker/net/commit_pipeline.h), wired as BrokerLoop wires them for a
// durable store, with the StoreWriter thread played by the simulation:
//   - the step's store writes join those gathered since the batch in
//     flight was handed over;
//   - messages to workers go out at once, before the commit of the step
//     that made them, except SENTINEL (and a DISPATCH that would put two
//     attempts ahead of the store);
//   - messages to clients (SUBMITTED, RESULT, ERROR) and SENTINELs wait, in
//     order, for the batch gathering writes if there are any, else for the
//     one in flight if there is one (else they go at once);
//   - at most one batch is in flight: the pipeline hands it over (a copy of
//     each changed job in its latest state, taken then) and SimBroker
//     commits it to the store a random disk latency later (a few ms,
//     sometimes hundreds), then reports back, which releases what waited.
//
// The disk is a real SqliteStore, one file per seed under /dev/shm (else
// the temp directory): every committed job is written as a JobRecord in a
// SQLite transaction and read back from there at recovery, as a restarted
// broker reads it.
//
// A crash comes at a random step, once a random prefix of the step's
// immediate messages went out: the batch in flight has reached the disk or
// not (at random), and the gathered writes (maybe several steps' worth) and
// every held message are lost with the pipeline, while the worker messages
// of those steps (DISPATCHes among them) may have left. Restart then opens
// the file again, as a new process does, and gives a new BrokerCore (same
// options, another id seed) and a new pipeline.
//
// Instead of reaching the disk or not, the batch in flight of a dying
// broker may be refused by the store, as a shared postgres store refuses
// the commits of a leader whose lease a standby took over (fencing): the
// pipeline must then let out nothing that waited for it, and the broker
// steps down, which the simulation plays as a crash.
//
// A failed check in a pipeline callback throws SimFailure through the
// pipeline's Take or OnBatchCommitted: the run ends there, and nothing of
// that pipeline is used again but its destructor.
//
// Not thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "broker/net/commit_pipeline.h"
#include "broker/net/owned_batch.h"
#include "broker/store/sqlite_store.h"
#include "broker/store/store.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

struct Checkers;

class SimBroker {
 public:
  // Called for each message that leaves the broker, with what its step's
  // model lets it carry.
  using LetFn = std::function<void(const broker::core::Outbound&, Release&)>;

  // Each reference must outlive the broker.
  SimBroker(SimEnv& env, const broker::core::CoreOptions& options, SimModel& model,
            Checkers& checks, LetFn let);
  // Removes the store's files.
  ~SimBroker();

  SimBroker(const SimBroker&) = delete;
  SimBroker& operator=(const SimBroker&) = delete;

  // Starts the first process, on a new store file.
  void Start();

  broker::core::BrokerCore& core() { return *core_; }
  // Where the step being run puts its effects.
  broker::core::Effects& effects() { return effects_; }

  // Hands the step's effects to the pipeline; `release` is what the model
  // lets their messages carry. With `crash`, the process dies while it
  // sends them (call Crash next).
  void CommitAndSend(Release release, bool crash);
  // The writer commits what is due by `until_ms`, each batch at its time
  // (the clock moves there): what waited for it leaves.
  void CommitDue(TimeMs until_ms);
  // The writer finishes whatever it has (BrokerLoop::CommitAndFlush).
  void Flush();
  // Nothing held, unwritten or in flight.
  bool idle() const { return pipeline_->idle() && !in_flight_; }

  // The process dies: the batch in flight may reach the disk first; the
  // gathered writes and the held messages are gone.
  void Crash();
  // A new process opens the store and recovers from it; the core
  // (`restarts` makes its id seed new) still has to Restore what it gets.
  broker::store::Recovered Restart(uint64_t restarts);
  // What the store holds now (the process keeps running).
  broker::store::Recovered Recover();

 private:
  // The batch the writer is committing (BrokerLoop's StoreWriter job).
  struct InFlight {
    broker::net::OwnedBatch batch;
    BatchImage image;
    uint64_t number = 0;
    uint64_t steps = 0;  // whose writes it holds
    TimeMs done_ms = 0;  // when it reaches the disk
  };
  // A message the core made and the pipeline has not let out yet.
  struct Pending {
    uint64_t order = 0;  // of making, so that a crash sees them in order
    std::shared_ptr<Release> release;
  };

  void OpenStore();
  void StartProcess(uint64_t restarts);
  // The pipeline's callbacks.
  void Send(const broker::core::Outbound& out);
  void StartBatch(broker::net::OwnedBatch batch);
  // The batch in flight reaches the disk: the store, and what the model
  // expects of it, move on together.
  void CommitInFlight();
  // How many of the step's messages may leave at once: the crash's prefix
  // is drawn from them.
  size_t MaySendNow() const;

  SimEnv& env_;
  const broker::core::CoreOptions options_;
  SimModel& model_;
  Checkers& checks_;
  LetFn let_;
  std::string path_;  // the store's file

  std::unique_ptr<broker::store::SqliteStore> store_;  // the process's handle on the disk
  std::unique_ptr<broker::core::BrokerCore> core_;
  std::unique_ptr<broker::net::CommitPipeline> pipeline_;  // after core_ and store_: uses both
  broker::core::Effects effects_;
  std::optional<InFlight> in_flight_;
  uint64_t batches_ = 0;          // handed over, in this run
  uint64_t unwritten_steps_ = 0;  // steps with writes since the last hand-over
  // Keyed by the message's body, which the pipeline moves but never copies.
  std::unordered_map<const void*, Pending> pending_;
  uint64_t next_order_ = 0;
  // While a crashing step sends: how many more messages get out, whether
  // one did not, and whether the step handed a batch over.
  bool dying_ = false;
  size_t send_budget_ = 0;
  bool died_sending_ = false;
  // The store is refusing the batch in flight (fencing): nothing may leave.
  bool fencing_ = false;
  bool handed_over_ = false;
};

}  // namespace jobq::testing
