// The seeded simulation of workflows (workflow_sim.h): JOBQ_SIM_SEEDS=<n>
// runs n seeds (default 1000, of which it runs a tenth); JOBQ_SIM_SEED=<n>
// replays one.

#include "tests/sim/workflows/workflow_sim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/sim/sim_seeds.h"

namespace jobq::testing {
namespace {

TEST(WorkflowSimTest, NodesRunAfterTheirParentsAreReleasedOnceAndEveryWorkflowEnds) {
  const SimSeeds seeds = SimSeedsFromEnv(/*divisor=*/10);
  const uint64_t count = seeds.count;
  WorkflowSimFigures total;
  for (uint64_t seed = seeds.first; seed < seeds.first + count; ++seed) {
    WorkflowSim sim(seed);
    const std::string failure = sim.Run();
    ASSERT_EQ(failure, "") << "replay: JOBQ_SIM_SEED=" << seed;
    total.workflows += sim.figures().workflows;
    total.nodes += sim.figures().nodes;
    total.releases_committed += sim.figures().releases_committed;
    total.upstream_cancelled += sim.figures().upstream_cancelled;
    total.restarts += sim.figures().restarts;
    total.revived += sim.figures().revived;
  }
  std::printf(
      "workflow sim: %llu seeds, %llu workflows of %llu nodes, %llu releases committed, %llu "
      "nodes cancelled upstream, %llu revived by a retry, %llu restarts\n",
      static_cast<unsigned long long>(count), static_cast<unsigned long long>(total.workflows),
      static_cast<unsigned long long>(total.nodes),
      static_cast<unsigned long long>(total.releases_committed),
      static_cast<unsigned long long>(total.upstream_cancelled),
      static_cast<unsigned long long>(total.revived),
      static_cast<unsigned long long>(total.restarts));
  if (count >= 100) {
    // The runs must have done what they are there to do.
    EXPECT_GT(total.workflows, count * 10);
    EXPECT_GT(total.releases_committed, count * 50);
    EXPECT_GT(total.upstream_cancelled, count * 5);
    EXPECT_GT(total.revived, count / 10);
    EXPECT_GT(total.restarts, count * 5);
  }
}

}  // namespace
}  // namespace jobq::testing
