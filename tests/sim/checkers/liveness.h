#pragma once
// Liveness: what must happen does, and not too early. A worker is only
// declared dead after a silence longer than the liveness window; a CANCEL
// of a job that is not running cancels it. Once the faults stop (the quiet
// phase: no crashes, no lost messages, workers spawned for queues that lack
// them), every committed job reaches a terminal state, every submit an
// ack, every waiting client its outcomes and every sentinel a worker (but
// for firings lost after their commit: SentinelsFireOnce).
//
// Not thread-safe.

#include <string>

#include "broker/core/broker_core.h"
#include "common/job_id.h"
#include "tests/sim/checkers/sentinels_fire_once.h"
#include "tests/sim/sim_clients.h"
#include "tests/sim/sim_model.h"
#include "tests/sim/sim_workers.h"

namespace jobq::testing {

class Liveness {
 public:
  // `model` and `sentinels` must outlive the checker.
  Liveness(const SimModel& model, const SentinelsFireOnce& sentinels)
      : model_(model), sentinels_(sentinels) {}

  // The core forgot `worker` after `silent_ms` without a word from it;
  // `expected`: it said BYE or registered again.
  void CheckDeclaredDead(const std::string& worker, TimeMs silent_ms, bool expected) const;
  // A client's CANCEL reached `id` while it was not running.
  void CheckCancelled(const JobId& id, const broker::core::BrokerCore& core) const;
  // Empty when the run has settled; else what has not.
  std::string Unsettled(const broker::core::BrokerCore& core, const SimWorkers& workers,
                        const SimClients& clients) const;

 private:
  const SimModel& model_;
  const SentinelsFireOnce& sentinels_;
};

}  // namespace jobq::testing
