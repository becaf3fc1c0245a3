#pragma once
// ScheduleSim: a seeded simulation of the broker's schedules (issue 17,
// item 5), with crashes around firings, on a SimProcess (sim_process.h):
// the core, the loop's commit pipeline and a SQLite store whose writer the
// simulation plays. Its worker runs the firings' jobs and finishes them at
// random times (so --overlap skip has something to wait for).
//
// Random operations: add, pause, resume, remove and run schedules (every
// 1-10 s, or cron, under each catch-up and overlap policy), time passing
// (sometimes jumping minutes, past the grace for late firings), crashes
// with downtimes short and long.
//
// Checked after every step, beside the core's own CheckInvariants:
//  - no firing instant has two jobs: neither in the core at any time, nor
//    ever on the disk across any crash (each firing key is committed with
//    one job id, for the whole run);
//  - no firing's job exists before its instant (on the core's clock);
//  - a committed cursor never goes back, and a restart loses no schedule:
//    the recovered records are exactly what the committed batches wrote.
//
// Separate from the broker simulation (simulation.h), whose model predicts
// every job from its client's SUBMIT: a firing's job comes from the broker
// itself. Not thread-safe.

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "broker/net/owned_batch.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "tests/sim/sim_process.h"

namespace jobq::testing {

struct ScheduleSimFigures {
  uint64_t firings_committed = 0;
  uint64_t restarts = 0;
  uint64_t long_downtimes = 0;  // past the grace: catch-up decided
  uint64_t skipped = 0;         // firings the schedules counted as skipped
};

class ScheduleSim {
 public:
  explicit ScheduleSim(uint64_t seed);

  ScheduleSim(const ScheduleSim&) = delete;
  ScheduleSim& operator=(const ScheduleSim&) = delete;

  // Empty when every check held; else what broke, and where.
  std::string Run();
  const ScheduleSimFigures& figures() const { return figures_; }

 private:
  void Operate();
  void AddRandomSchedule();
  void AdvanceTime(TimeMs delta_ms);
  void FinishSomeJob();
  // A batch reached the disk: the model of the disk moves on.
  void OnCommitted(const broker::net::OwnedBatch& batch);
  // A restart loses no schedule: exactly what the committed batches wrote.
  void OnRecovered(const broker::store::Recovered& recovered);
  void Crash();
  void CheckCore();
  std::string RandomName();
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  std::mt19937_64 rng_;
  FakeClock clock_;
  // The disk as the committed batches left it.
  std::map<std::string, JobId> committed_firings_;  // firing key -> its one job, ever
  std::map<std::string, ::jobq::store::ScheduleRecord> committed_schedules_;
  ScheduleSimFigures figures_;
  // Last: its hooks use the members above.
  SimProcess process_;
};

}  // namespace jobq::testing
