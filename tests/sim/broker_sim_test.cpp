// The broker simulation's test (simulation.h says what one run does; the
// guarantees it checks are DESIGN §11's, one checker each in checkers/).
//
// JOBQ_SIM_SEEDS=<n> runs n seeds from JOBQ_SIM_FIRST_SEED (default 1; n
// defaults to 1000, what CI runs); JOBQ_SIM_SEED=<n> replays one seed, with
// a trace of every event on stderr. A failure prints its seed and the
// command that replays it, and so does an abort in the core (a broken
// CheckInvariants).

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/sim/sim_coverage.h"
#include "tests/sim/simulation.h"

namespace jobq::testing {
namespace {

// The seed being run, for the SIGABRT handler (the core's CheckInvariants
// aborts on a broken invariant).
volatile std::sig_atomic_t g_current_seed = 0;

void PrintReplayOnAbort(int) {
  char line[128];
  int n = std::snprintf(line, sizeof line,
                        "\nbroker core aborted; replay: JOBQ_SIM_SEED=%d "
                        "./build/tests/sim/broker_sim_test\n",
                        static_cast<int>(g_current_seed));
  if (n > 0) {
    ssize_t ignored = write(STDERR_FILENO, line, static_cast<size_t>(n));
    (void)ignored;
  }
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(BrokerSimTest, InvariantsHoldUnderFaultsAndRestarts) {
  std::signal(SIGABRT, PrintReplayOnAbort);
  const char* one = std::getenv("JOBQ_SIM_SEED");
  const bool replay = one != nullptr && *one != '\0';
  // JOBQ_SIM_FIRST_SEED lets several processes share a long run.
  const uint64_t first =
      replay ? std::strtoull(one, nullptr, 10) : EnvNumber("JOBQ_SIM_FIRST_SEED", 1);
  const uint64_t count = replay ? 1 : EnvNumber("JOBQ_SIM_SEEDS", 1000);
  int failures = 0;
  uint64_t seeds = 0;
  size_t jobs = 0;
  uint64_t restarts = 0;
  uint64_t steps = 0;
  uint64_t quiet_steps = 0;
  Coverage coverage;
  for (uint64_t seed = first; seed < first + count && failures < 3; ++seed) {
    g_current_seed = static_cast<std::sig_atomic_t>(seed);
    Simulation simulation(seed, replay);
    std::string failure = simulation.Run();
    ++seeds;
    jobs += simulation.jobs();
    restarts += simulation.restarts();
    steps += simulation.steps();
    coverage.Add(simulation.coverage());
    quiet_steps += simulation.quiet_steps();
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << failure << "\nreplay: JOBQ_SIM_SEED=" << seed
                    << " ./build/tests/sim/broker_sim_test";
    }
  }
  std::signal(SIGABRT, SIG_DFL);
  std::printf("simulated %llu seed(s), %zu jobs, %llu steps (%llu quiet), %llu broker restarts\n",
              static_cast<unsigned long long>(seeds), jobs, static_cast<unsigned long long>(steps),
              static_cast<unsigned long long>(quiet_steps),
              static_cast<unsigned long long>(restarts));
  PrintCoverage(coverage, stdout);
  // Skipped, not scaled down to nothing, for a handful of seeds (a replay,
  // a quick local run): see kCoverageSeedsMin. A run that failed has
  // already said why.
  if (seeds < kCoverageSeedsMin || failures > 0) {
    std::printf("coverage minimums not asserted (%llu seed(s), fewer than %llu, or a failure)\n",
                static_cast<unsigned long long>(seeds),
                static_cast<unsigned long long>(kCoverageSeedsMin));
    return;
  }
  const std::vector<std::string> shortfalls = Shortfalls(coverage, seeds);
  for (const std::string& shortfall : shortfalls) {
    ADD_FAILURE() << "coverage: " << shortfall
                  << " (a path the checks are about was not taken often enough)";
  }
}

}  // namespace
}  // namespace jobq::testing
