#pragma once
// SentinelsFireOnce: guarantee 5 of DESIGN §11, sentinel order, across
// restarts. A queue's sentinels fire in order, each only once every job
// accepted ahead of it was dispatched or finished, and no job behind a
// sentinel is dispatched before that; a sentinel's SENTINELs leave only
// once its removal is committed, all in one firing: a firing lost in a
// crash (SENTINELs held, removal not committed) never happened, and the
// restored sentinel fires again (one whose removal reached the disk just
// before the crash is over, its SENTINELs lost: at most once, as with a
// commit before the sends); the store keeps exactly the committed
// sentinels that have not fired.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "broker/core/effects.h"
#include "broker/store/store.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_model.h"

namespace jobq::testing {

class SentinelsFireOnce {
 public:
  // `env` and `model` must outlive the checker.
  SentinelsFireOnce(SimEnv& env, const SimModel& model) : env_(env), model_(model) {}

  // ---- the core's steps

  // The sentinel a step added for `queue_name`, the `added_index`th: a new
  // one, for that queue.
  const broker::core::SentinelMark& Added(const std::string& queue_name,
                                          const broker::core::Effects& effects,
                                          size_t added_index) const;
  void CheckAddedCount(const broker::core::Effects& effects, size_t expected,
                       Command command) const;
  // A sentinel the core adds or writes: one a client asked for.
  void CheckAsked(const broker::core::SentinelMark& mark) const;
  // The core fires `id` (removes it): in order, nothing ahead undispatched.
  void CheckFiring(const JobId& id) const;
  // No job behind an unfired sentinel is dispatched.
  void CheckDispatched(const JobId& id) const;
  // Batch `batch` removes `id` from the store, which has it, unfired.
  void CheckRemovalStored(const JobId& id, uint64_t batch) const;

  // ---- what leaves the broker, and what a crash loses

  void OnSentinelLeaves(const broker::core::Outbound& out, const Release& release);
  // A crash lost what `release` held: a firing whose removal reached the
  // disk is over, its SENTINELs lost.
  void OnHeldLost(const Release& release);

  // ---- the store

  void CheckRecovered(const broker::store::Recovered& recovered) const;
  // Once all is written at the end, every sentinel has fired.
  void CheckNoneLeft(const broker::store::Recovered& recovered) const;

  // Whether `id` is over: its SENTINELs left, or its firing was lost after
  // its commit.
  bool Over(const JobId& id) const { return firings_.count(id) || firings_lost_.count(id); }

 private:
  SimEnv& env_;
  const SimModel& model_;
  // What left the broker, and what a crash lost after its commit: no
  // crash takes either back.
  std::map<JobId, uint64_t> firings_;  // the step whose SENTINELs left, per sentinel
  std::set<JobId> firings_lost_;       // committed, SENTINELs lost in a crash
};

}  // namespace jobq::testing
