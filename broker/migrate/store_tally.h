#pragma once
// StoreTally: what a store holds, counted (jobs by state, sentinels,
// schedules, limits, workflows) and fingerprinted record by record, so that
// `jobq-broker --migrate-store` can say what it copied and check the copy
// against its source without holding both stores in memory at once: about
// 24 bytes per record instead of the record. Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "broker/store/store.h"
#include "common/job_id.h"

namespace jobq::broker::migrate {

struct StoreTally {
  // A record's key and a 64-bit hash of everything stored of it.
  struct IdEntry {
    JobId id;
    uint64_t digest = 0;
  };
  struct NamedEntry {
    std::string name;
    uint64_t digest = 0;
  };

  std::map<int, int64_t> jobs_by_state;  // by wire::JobState
  // Each sorted by its key.
  std::vector<IdEntry> jobs;
  std::vector<IdEntry> sentinels;
  std::vector<NamedEntry> schedules;
  std::vector<NamedEntry> limits;  // named "queue\0task"
  std::vector<IdEntry> workflows;

  size_t records() const {
    return jobs.size() + sentinels.size() + schedules.size() + limits.size() + workflows.size();
  }
};

StoreTally Tally(const store::Recovered& recovered);

// OK when `copy` holds exactly what `source` holds. Otherwise DATA_LOSS
// naming the first record missing from the copy, in it but not in the
// source, or stored differently (and the counts of both).
absl::Status CompareTallies(const StoreTally& source, const StoreTally& copy);

// "7 jobs (2 queued, 1 running, 4 succeeded), 1 sentinel, 0 schedules,
// 2 limits, 1 workflow": states in the order of wire::JobState, only those
// with jobs.
std::string DescribeTally(const StoreTally& tally);

}  // namespace jobq::broker::migrate
