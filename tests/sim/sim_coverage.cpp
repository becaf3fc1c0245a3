#include "tests/sim/sim_coverage.h"

#include <algorithm>

namespace jobq::testing {
namespace {

struct Counter {
  const char* name;
  uint64_t Coverage::*field;
  // Asserted minimum per 1,000 seeds; 0: printed only.
  uint64_t min_per_1000;
};

// One table for adding, printing and asserting, so that a new counter
// cannot be summed but never shown. The minimums are about a quarter of
// what seeds 1..1000 give, which leaves room for changes to the simulation
// that shift the figures, and none for a path that stops being taken.
constexpr Counter kSums[] = {
    {"broker crashes", &Coverage::crashes, 900},
    {"crashes after the batch in flight committed", &Coverage::crashes_in_flight_committed, 150},
    {"crashes before the batch in flight committed", &Coverage::crashes_in_flight_lost, 150},
    {"batches refused by fencing (a standby took over)", &Coverage::commits_fenced, 60},
    {"crashes before the step's writes reached the writer", &Coverage::crashes_before_hand_over,
     75},
    {"steps of writes lost", &Coverage::steps_lost, 550},
    {"held messages lost", &Coverage::held_lost, 550},
    {"unrecorded dispatches skipped", &Coverage::unrecorded_dispatches, 140},
    {"batches", &Coverage::batches, 60'000},
    {"batches with several steps' writes", &Coverage::multi_step_batches, 8'000},
    {"duplicate acks", &Coverage::duplicate_acks, 6'500},
    {"duplicate acks of a re-sent submit_token", &Coverage::duplicate_tokens, 5'000},
    {"jobs re-sent after a reconnect", &Coverage::client_resends, 6'500},
    {"retries", &Coverage::retries, 4'000},
    {"leases expired", &Coverage::leases_expired, 1'400},
    {"orphans adopted", &Coverage::orphans_adopted, 1'100},
    {"orphans requeued", &Coverage::orphans_requeued, 3'500},
    {"late successes", &Coverage::late_successes, 200},
    {"results lost", &Coverage::results_lost, 600},
    {"worker crashes", &Coverage::worker_crashes, 1'600},
    {"sentinels fired", &Coverage::sentinels_fired, 2'200},
    {"sentinels fired again after a crash", &Coverage::sentinels_refired, 9},
    {"sentinel firings lost after their commit", &Coverage::sentinel_firings_lost, 3},
    {"stale DISPATCHes dropped", &Coverage::stale_dispatches, 2'000},
    {"HELLOs re-sent", &Coverage::repeated_hellos, 2'200},
    {"HELLOs overtaken", &Coverage::overtaken_hellos, 60},
    {"jobs refused", &Coverage::refusals, 550},
    {"CANCELs of running jobs", &Coverage::cancels_while_running, 250},
    {"runs with 100 workers or more", &Coverage::crowded_runs, 5},
    {"delayed jobs", &Coverage::delayed_jobs, 3'000},
    {"delayed jobs dispatched (none before its time)", &Coverage::delayed_dispatches, 2'900},
    {"limits set or changed", &Coverage::limits_set, 900},
    {"steps with a rate limit at its bound", &Coverage::limits_at_bound, 100},
    {"steps with a cap full", &Coverage::caps_full, 250'000},
    {"limits restored after a restart", &Coverage::limits_restored, 900},
    {"progress reports accepted", &Coverage::progress_accepted, 32'000},
    {"progress reports of an attempt no longer held", &Coverage::progress_late, 6'000},
    {"malformed progress reports", &Coverage::progress_bogus, 300},
};

constexpr Counter kMaxima[] = {
    {"most workers in a run", &Coverage::workers_max, 0},
    {"most clients in a run", &Coverage::clients_max, 0},
};

}  // namespace

void Coverage::Add(const Coverage& other) {
  for (const Counter& counter : kSums) {
    this->*counter.field += other.*counter.field;
  }
  for (const Counter& counter : kMaxima) {
    this->*counter.field = std::max(this->*counter.field, other.*counter.field);
  }
}

std::vector<std::string> Shortfalls(const Coverage& coverage, uint64_t seeds) {
  std::vector<std::string> shortfalls;
  for (const Counter& counter : kSums) {
    if (counter.min_per_1000 == 0) {
      continue;
    }
    const uint64_t want = std::max<uint64_t>(1, counter.min_per_1000 * seeds / 1000);
    const uint64_t got = coverage.*counter.field;
    if (got < want) {
      shortfalls.push_back(std::string(counter.name) + ": got " + std::to_string(got) +
                           ", want at least " + std::to_string(want));
    }
  }
  return shortfalls;
}

void PrintCoverage(const Coverage& coverage, std::FILE* out) {
  for (const Counter& counter : kSums) {
    std::fprintf(out, "  %-52s %llu\n", counter.name,
                 static_cast<unsigned long long>(coverage.*counter.field));
  }
  for (const Counter& counter : kMaxima) {
    std::fprintf(out, "  %-52s %llu\n", counter.name,
                 static_cast<unsigned long long>(coverage.*counter.field));
  }
}

}  // namespace jobq::testing
