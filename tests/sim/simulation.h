#pragma once
// Simulation: one seeded, deterministic run of the broker with its workers
// and clients (DESIGN §4, §11, STYLE §8; in the spirit of TigerBeetle's
// VOPR and FoundationDB's RandomClogging).
//
// One std::mt19937_64, seeded from the seed, drives everything (SimEnv): a
// SimNetwork (sim_network.h) that drops, duplicates, delays and reorders
// messages, clients and workers that behave like the real client library
// and worker (sim_clients.h, sim_workers.h), the disk, and broker crashes
// (sim_broker.h). A step feeds the core one input (a message, or time
// passing) and a Tick, runs the core's CheckInvariants(), updates the model
// (sim_model.h) with what the input and its effects mean, then hands the
// effects to the loop's commit pipeline, which decides when each message
// leaves.
//
// After a crash, every connection breaks: clients re-send their
// unacknowledged jobs (same submit_token and client_seq) and WAIT again;
// workers say HELLO listing what they hold and what they finished but did
// not report. Some workers go down with the broker and never come back.
//
// After every step the checkers (checkers/) judge the broker against the
// model, one guarantee each. Then a quiet phase (no faults, no crashes,
// workers spawned for queues that lack them) must bring every committed job
// to a terminal state, every submit to an ack, every waiting client to its
// outcomes and every sentinel to a worker (liveness); once the writer is
// idle, the store holds every job as the core does.
//
// Network model: ZeroMQ over TCP does not lose single messages or reorder
// them on a connection; a loss means the connection broke. So a message
// dropped on a link makes its peer reconnect a little later: a worker says
// HELLO again (a new registration), a client re-sends what is
// unacknowledged and WAIT. Each link is FIFO (sim_network.h).
//
// Size: most runs have 2-5 workers and 1-3 clients (dense in faults per
// job, and fast); some have tens of workers, a few hundreds of workers and
// dozens of clients, where reconnect storms and crowded queues happen.
//
// Not thread-safe.

#include <cstdint>
#include <string>

#include "broker/core/core_options.h"
#include "broker/core/effects.h"
#include "tests/sim/checkers/checkers.h"
#include "tests/sim/sim_broker.h"
#include "tests/sim/sim_clients.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_model.h"
#include "tests/sim/sim_workers.h"

namespace jobq::testing {

class Simulation {
 public:
  // `verbose`: a trace of every event on stderr.
  Simulation(uint64_t seed, bool verbose);

  // Empty when every check held; else what broke, and where.
  std::string Run();

  size_t jobs() const { return model_.jobs().size(); }
  uint64_t restarts() const { return env_.restarts; }
  uint64_t steps() const { return env_.steps; }
  uint64_t quiet_steps() const { return fault_steps_ > 0 ? env_.steps - fault_steps_ : 0; }
  const Coverage& coverage() const { return env_.coverage; }

 private:
  static broker::core::CoreOptions OptionsFor(SimEnv& env);

  void RunPhases();
  void Populate();
  void FaultPhase();
  // Sets, changes or clears a rate limit or cap of a queue or its task.
  void ChangeLimit();
  void QuietPhase();
  // Once the writer is idle, the store has every job as the core has it.
  void CheckAllWritten();

  bool PlanCrash();
  // One step: `input` feeds the core, `after_input` tells the model what
  // the input meant. With `crash`, the broker dies while it sends the
  // step's messages.
  template <typename Input, typename AfterInput>
  void Step(Input input, AfterInput after_input, bool crash);
  // The broker died: a new one recovers from the store; every peer notices.
  void Restart();
  void AdvanceTime(TimeMs delta_ms, bool faults);
  bool DeliverOne();
  void DeliverToCore(const Message& message);
  // A message leaves the broker: what it tells the checkers, then the network.
  void Let(const broker::core::Outbound& out, Release& release);

  SimEnv env_;
  const broker::core::CoreOptions options_;
  // Some runs never crash the broker; the others every few hundred steps.
  const uint64_t crash_one_in_;
  SimModel model_;
  Checkers checks_;
  SimWorkers workers_;
  SimClients clients_;
  SimBroker broker_;
  uint64_t fault_iterations_ = 0;  // of the fault phase's loop
  uint64_t client_actions_ = 1;    // per turn of the clients: more clients, more load
  uint64_t fault_steps_ = 0;
  // Half the runs set limits at random (ChangeLimit); the rest run as before.
  const bool limits_;
};

}  // namespace jobq::testing
