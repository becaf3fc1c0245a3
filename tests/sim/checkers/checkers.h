#pragma once
// Checkers: one per guarantee of DESIGN §11, each with the state it alone
// needs (what left the broker, what reached the peers), in the manner of
// TigerBeetle's testing/cluster/*_checker.zig. The model, the peers and the
// simulated broker call them where a step shows what they judge; a broken
// guarantee ends the run with SimFailure (sim_env.h).
//
// Not thread-safe.

#include "broker/core/effects.h"
#include "tests/sim/checkers/acknowledged_jobs_survive.h"
#include "tests/sim/checkers/at_most_one_lease.h"
#include "tests/sim/checkers/attempts_never_reused.h"
#include "tests/sim/checkers/credit_respected.h"
#include "tests/sim/checkers/limits_respected.h"
#include "tests/sim/checkers/liveness.h"
#include "tests/sim/checkers/outcomes_delivered.h"
#include "tests/sim/checkers/progress_kept.h"
#include "tests/sim/checkers/results_follow_protocol.h"
#include "tests/sim/checkers/sentinels_fire_once.h"
#include "tests/sim/checkers/terminal_state_kept.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

struct Checkers {
  // `env` and `model` must outlive the checkers.
  Checkers(SimEnv& env, const SimModel& model)
      : acknowledged(model),
        outcomes(model),
        leases(env, model),
        attempts(model),
        results(env, model),
        sentinels(env, model),
        liveness(model, sentinels),
        limits(env) {}

  // A message leaves the broker (it may still be lost on the way): each
  // checker it concerns sees it, with what its step allows it to carry.
  void OnLeaves(const broker::core::Outbound& out, Release& release);

  AcknowledgedJobsSurvive acknowledged;  // 1
  TerminalStateKept terminal;            // 2
  OutcomesDelivered outcomes;            // 2
  AtMostOneLease leases;                 // 3
  AttemptsNeverReused attempts;          // 4
  ResultsFollowProtocol results;         // 4
  SentinelsFireOnce sentinels;           // 5
  CreditRespected credit;
  Liveness liveness;
  LimitsRespected limits;  // issue 17: rate limits and caps
  ProgressKept progress;   // issue 17, item 5
};

}  // namespace jobq::testing
