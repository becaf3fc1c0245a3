// The seeded simulation of schedules (schedule_sim.h): JOBQ_SIM_SEEDS=<n>
// runs n seeds (default 1000, of which it runs a tenth); JOBQ_SIM_SEED=<n> replays one.

#include "tests/sim/schedules/schedule_sim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/sim/sim_seeds.h"

namespace jobq::testing {
namespace {

TEST(ScheduleSimTest, NoFiringMakesTwoJobsAcrossCrashesAndNoScheduleIsLost) {
  const SimSeeds seeds = SimSeedsFromEnv(/*divisor=*/10);
  const uint64_t count = seeds.count;
  ScheduleSimFigures total;
  for (uint64_t seed = seeds.first; seed < seeds.first + count; ++seed) {
    ScheduleSim sim(seed);
    const std::string failure = sim.Run();
    ASSERT_EQ(failure, "") << "replay: JOBQ_SIM_SEED=" << seed;
    total.firings_committed += sim.figures().firings_committed;
    total.restarts += sim.figures().restarts;
    total.long_downtimes += sim.figures().long_downtimes;
    total.skipped += sim.figures().skipped;
  }
  std::printf(
      "schedule sim: %llu seeds, %llu firings committed, %llu restarts (%llu past the "
      "grace), %llu firings skipped\n",
      static_cast<unsigned long long>(count),
      static_cast<unsigned long long>(total.firings_committed),
      static_cast<unsigned long long>(total.restarts),
      static_cast<unsigned long long>(total.long_downtimes),
      static_cast<unsigned long long>(total.skipped));
  if (count >= 100) {
    // The runs must have done what they are there to do.
    EXPECT_GT(total.firings_committed, count * 10);
    EXPECT_GT(total.long_downtimes, count);
    EXPECT_GT(total.skipped, 0u);
  }
}

}  // namespace
}  // namespace jobq::testing
