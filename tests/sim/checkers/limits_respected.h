#pragma once
// LimitsRespected (issue 17, item 5): rate limits and concurrency caps hold
// whatever workers, crashes and restarts do, judged from outside the core's
// own counters:
//   * a limit's jobs dispatched since it was set (or last changed) never
//     exceed burst + rate x elapsed on the simulated clock — counted from
//     every DISPATCH the core makes, whether or not it leaves before a
//     crash, so across a restart too;
//   * the jobs the core has running under a cap never exceed it (or, while
//     jobs that ran before it was set, lowered or restored are running,
//     the number there were), counted from the jobs' states;
//   * a restart loses no limit: the store gives back exactly the limits
//     committed, and the restored core has exactly those.
//
// Not thread-safe.

#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "broker/core/limit_record.h"
#include "tests/sim/sim_env.h"

namespace jobq::testing {

class LimitsRespected {
 public:
  explicit LimitsRespected(SimEnv& env) : env_(env) {}

  // After every step: the limits it changed and the DISPATCHes it made.
  void AfterStep(const broker::core::Effects& effects, const broker::core::BrokerCore& core);
  // A batch reached the disk.
  void OnCommitted(std::span<const broker::core::LimitRecord> limits);
  // A restarted broker's store gave back `recovered` and the core restored
  // them: both must be exactly what was committed.
  void CheckRestored(const std::vector<broker::core::LimitRecord>& recovered,
                     const broker::core::BrokerCore& core);

 private:
  using Key = std::pair<std::string, std::string>;  // (queue, task)
  struct Tracked {
    broker::core::LimitRecord record;
    TimeMs since_ms = 0;     // set, changed or restored then
    int64_t dispatched = 0;  // since then
    int64_t running_allowed = 0;
  };
  static Key KeyOf(const broker::core::LimitRecord& record) { return {record.queue, record.task}; }
  static int64_t Running(const broker::core::BrokerCore& core, const Key& key);
  Tracked Track(const broker::core::LimitRecord& record, const broker::core::BrokerCore& core);

  SimEnv& env_;
  std::map<Key, Tracked> live_;                         // as the running core has them
  std::map<Key, broker::core::LimitRecord> committed_;  // as the store has them
};

}  // namespace jobq::testing
