#pragma once
// ScheduleSim: a seeded simulation of the broker's schedules (issue 17,
// item 5), with crashes around firings. A real BrokerCore, the loop's
// CommitPipeline and a SqliteStore on /dev/shm, wired as the loop wires
// them for a durable store, with the writer played by the simulation: a
// batch in flight reaches the disk a few steps later, or a crash comes
// first and it reaches the disk or not (at random) while every write
// gathered since is lost. One worker runs the firings' jobs and finishes
// them at random times (so --overlap skip has something to wait for).
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
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "broker/core/broker_core.h"
#include "broker/net/commit_pipeline.h"
#include "broker/net/owned_batch.h"
#include "broker/store/sqlite_store.h"
#include "common/clock.h"

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
  ~ScheduleSim();

  ScheduleSim(const ScheduleSim&) = delete;
  ScheduleSim& operator=(const ScheduleSim&) = delete;

  // Empty when every check held; else what broke, and where.
  std::string Run();
  const ScheduleSimFigures& figures() const { return figures_; }

 private:
  void StartProcess();
  void Step();
  // Hands the step's effects to the pipeline, then checks.
  void Settle();
  void Operate();
  void AddRandomSchedule();
  void AdvanceTime(TimeMs delta_ms);
  void FinishSomeJob();
  // The in-flight batch reaches the disk: the model of the disk moves on.
  void CommitInFlight();
  void Crash();
  void CheckCore();
  std::string RandomName();
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  const uint64_t seed_;
  std::mt19937_64 rng_;
  FakeClock clock_;
  std::string path_;
  uint64_t restarts_ = 0;
  std::unique_ptr<broker::store::SqliteStore> store_;
  std::unique_ptr<broker::core::BrokerCore> core_;
  std::unique_ptr<broker::net::CommitPipeline> pipeline_;
  broker::core::Effects effects_;
  std::optional<broker::net::OwnedBatch> in_flight_;
  uint64_t in_flight_steps_ = 0;
  // The worker: jobs it runs, by id, with their attempt.
  std::map<JobId, uint32_t> running_;
  // The disk as the committed batches left it.
  std::map<std::string, JobId> committed_firings_;  // firing key -> its one job, ever
  std::map<std::string, ::jobq::store::ScheduleRecord> committed_schedules_;
  ScheduleSimFigures figures_;
  uint64_t step_ = 0;
};

}  // namespace jobq::testing
