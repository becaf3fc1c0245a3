#pragma once
// Coverage: how often the simulation took the paths its checks are about.
// A run that never takes one proves nothing about it, so a full run
// (JOBQ_SIM_SEEDS of at least kCoverageSeedsMin) asserts a minimum of each
// (Shortfalls); the figures are printed either way.
//
// Not thread-safe.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace jobq::testing {

struct Coverage {
  uint64_t crashes = 0;
  uint64_t crashes_in_flight_committed = 0;  // the batch in flight reached the disk first
  uint64_t crashes_in_flight_lost = 0;       // it did not
  uint64_t commits_fenced = 0;               // the store refused it: a standby took over
  uint64_t crashes_before_hand_over = 0;     // the step's writes never reached the writer
  uint64_t steps_lost = 0;                   // steps whose writes a crash lost
  uint64_t held_lost = 0;                    // client messages and SENTINELs lost in a crash
  uint64_t unrecorded_dispatches = 0;        // DISPATCHes that left, then a crash lost their commit
  uint64_t batches = 0;
  uint64_t multi_step_batches = 0;  // holding the writes of several steps
  uint64_t duplicate_acks = 0;
  uint64_t duplicate_tokens = 0;  // of them, a re-sent job (same submit_token)
  uint64_t client_resends = 0;    // jobs re-sent unacknowledged after a reconnect
  uint64_t retries = 0;
  uint64_t leases_expired = 0;
  uint64_t orphans_adopted = 0;  // by HELLO or RESULT
  uint64_t orphans_requeued = 0;
  uint64_t late_successes = 0;
  uint64_t results_lost = 0;
  uint64_t worker_crashes = 0;
  uint64_t sentinels_fired = 0;        // SENTINELs that left, per sentinel
  uint64_t sentinels_refired = 0;      // fired, the firing lost in a crash, restored
  uint64_t sentinel_firings_lost = 0;  // removal committed, SENTINELs lost in a crash
  uint64_t stale_dispatches = 0;       // DISPATCHes of a replaced registration, dropped
  uint64_t repeated_hellos = 0;        // answered with WELCOME, the registration kept
  uint64_t overtaken_hellos = 0;       // older than a registration made: ignored
  uint64_t refusals = 0;               // jobs refused for want of room, requeued
  uint64_t cancels_while_running = 0;  // CANCELs of running jobs
  uint64_t crowded_runs = 0;           // runs that started with at least 100 workers
  uint64_t limits_set = 0;             // rate limits and caps set or changed
  uint64_t limits_at_bound = 0;        // steps where a rate limit had dispatched all it may
  uint64_t caps_full = 0;              // steps where a cap had as many running as it allows
  uint64_t limits_restored = 0;        // limits a restarted broker restored
  uint64_t progress_accepted = 0;      // PROGRESS reports a job took
  uint64_t progress_late = 0;          // reports sent for a job no longer held (attempt over)
  uint64_t progress_bogus = 0;         // malformed reports sent on purpose
  uint64_t workers_max = 0;            // the most workers of one run (a maximum, not a sum)
  uint64_t clients_max = 0;            // the most clients of one run
  uint64_t delayed_jobs = 0;           // submitted with a not_before_ms ahead
  uint64_t delayed_dispatches = 0;     // of them, first dispatches (none before its time)

  void Add(const Coverage& other);
};

// Below this many seeds the minimums are not asserted (skipped, not scaled
// down): the rarest path (a sentinel firing lost after its commit, about
// one run in 70) may well not come up in a few hundred seeds, and failing
// then would say nothing about the code. From here on they are scaled.
constexpr uint64_t kCoverageSeedsMin = 500;

// The counters below their minimum for a run of `seeds` seeds, each as
// "name: got N, want at least M"; empty when all are met. The minimums are
// set per 1,000 seeds (about a quarter of what 1,000 seeds give) and scaled
// to `seeds`, each at least 1.
std::vector<std::string> Shortfalls(const Coverage& coverage, uint64_t seeds);

void PrintCoverage(const Coverage& coverage, std::FILE* out);

}  // namespace jobq::testing
