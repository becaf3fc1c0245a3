#pragma once
// SimProcess: the broker process of the schedule and workflow simulations,
// the disk it outlives and the one worker attached to it. A real
// BrokerCore, the loop's CommitPipeline and a SqliteStore on /dev/shm
// (sim_disk.h), wired as the loop wires them for a durable store, with the
// writer played by the simulation: a batch in flight reaches the disk a
// few steps later, or a crash comes first and it reaches the disk or not
// (at random) while every write gathered since is lost. A start restores
// what the store holds in the order the broker's server does (workflows,
// jobs, schedules) and registers the worker, which dropped what it held.
//
// What differs between the simulations comes through Hooks: what they
// check in each message sent, in each committed batch (their model of the
// disk), in what a start recovered, and after each step.
//
// Every random draw comes from the simulation's generator, in the order
// its steps make them, so that a seed replays the same run. A broken check
// throws SimFailure (sim_env.h); Run reports it. Not thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "broker/core/broker_core.h"
#include "broker/net/commit_pipeline.h"
#include "broker/net/owned_batch.h"
#include "broker/store/sqlite_store.h"
#include "common/clock.h"

namespace jobq::testing {

class SimProcess {
 public:
  struct Hooks {
    // Each message the process sends, when the pipeline lets it go. The
    // worker's DISPATCHes are recorded in running() after it returns.
    std::function<void(const broker::core::Outbound&)> on_sent;
    // A batch reached the disk, before the pipeline releases what waited
    // for it: the simulation's model of the disk moves on.
    std::function<void(const broker::net::OwnedBatch&)> on_committed;
    // What a start recovered, before the core restores it.
    std::function<void(const broker::store::Recovered&)> on_recovered;
    // After every step, once the pipeline took its effects.
    std::function<void()> check;
  };

  // `name` names the store's file; `rng` and `clock` must outlive this.
  // Each start's core gets `options` with a seed of its own.
  SimProcess(const std::string& name, uint64_t seed, std::mt19937_64* rng, FakeClock* clock,
             const broker::core::CoreOptions& options, uint32_t worker_capacity, Hooks hooks);
  ~SimProcess();

  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // Runs `body` on a fresh store. Empty when every check held; else what
  // broke, with the seed, the step (set_step) and the restarts before it.
  std::string Run(const std::function<void()>& body);
  void set_step(uint64_t step) { step_ = step; }

  // A new core and pipeline restored from the store, the worker registered,
  // then one step.
  void Start();
  // The process dies: the batch in flight reached the disk or not, and the
  // held messages and gathered writes are lost. Start follows.
  void Stop();
  // Fires due timers, checks the core's invariants, then Settle.
  void Step();
  // Hands the step's effects to the pipeline; the batch in flight may
  // reach the disk; then the simulation's check.
  void Settle();
  // Until everything gathered has reached the disk.
  void Drain();

  // The worker's answer for one of its jobs, at random (there must be
  // one): its id and attempt set.
  wire::JobResult ResultForSomeJob();
  // The worker reports `result` and takes one more job: then a step.
  void Finish(const wire::JobResult& result);

  broker::core::BrokerCore* core() { return core_.get(); }
  broker::core::Effects* effects() { return &effects_; }
  broker::store::SqliteStore* store() { return store_.get(); }
  // The worker's jobs, by id, with their attempt.
  std::map<JobId, uint32_t>& running() { return running_; }

 private:
  void CommitInFlight();
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : (*rng_)() % n; }

  const uint64_t seed_;
  std::mt19937_64* const rng_;
  FakeClock* const clock_;
  const broker::core::CoreOptions options_;
  const uint32_t worker_capacity_;
  const Hooks hooks_;
  const std::string path_;
  uint64_t step_ = 0;
  uint64_t restarts_ = 0;
  std::unique_ptr<broker::store::SqliteStore> store_;
  std::unique_ptr<broker::core::BrokerCore> core_;
  std::unique_ptr<broker::net::CommitPipeline> pipeline_;
  broker::core::Effects effects_;
  std::optional<broker::net::OwnedBatch> in_flight_;
  uint64_t in_flight_steps_ = 0;
  std::map<JobId, uint32_t> running_;
};

}  // namespace jobq::testing
