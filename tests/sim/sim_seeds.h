#pragma once
// The seeds a simulation's test runs, from the environment:
// JOBQ_SIM_SEED=<n> replays seed n alone; else seeds 1, 2, ... as many as
// JOBQ_SIM_SEEDS (default 1000) divided by `divisor` (the simulations whose
// seed costs ten of the broker simulation's run a tenth).

#include <cstdint>
#include <cstdlib>

namespace jobq::testing {

struct SimSeeds {
  uint64_t first = 1;
  uint64_t count = 0;
};

inline SimSeeds SimSeedsFromEnv(uint64_t divisor) {
  if (const char* replay = std::getenv("JOBQ_SIM_SEED")) {
    return {std::strtoull(replay, nullptr, 10), 1};
  }
  const char* seeds = std::getenv("JOBQ_SIM_SEEDS");
  return {1, (seeds == nullptr ? 1000 : std::strtoull(seeds, nullptr, 10)) / divisor};
}

}  // namespace jobq::testing
