#pragma once
// SimEnv: what every part of one simulated run shares: the seed's one
// random generator (it drives everything: network, peers, disk, crashes),
// the fake clock, the network, the coverage counters and the trace; and
// SIM_EXPECT, how every part reports a broken guarantee.
//
// Not thread-safe: one run, one thread.

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/job_id.h"
#include "tests/sim/sim_coverage.h"
#include "tests/sim/sim_network.h"

namespace jobq::testing {

constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLivenessMisses = 3;
constexpr TimeMs kSilenceMaxMs = static_cast<TimeMs>(kHeartbeatMs) * kLivenessMisses;
constexpr TimeMs kHelloResendMs = 1000;  // the worker's default
constexpr TimeMs kWaitResendMs = 2000;   // the client library's
// The core looks for expired leases every quarter interval, the first time
// a whole interval after it started, and the simulation lets at most 150 ms
// pass between two steps.
constexpr TimeMs kExpiryLatenessMaxMs = kHeartbeatMs + 150;
constexpr std::array<const char*, 3> kQueues = {"q0", "q1", "q2"};

// A broken guarantee: what broke. Simulation::Run adds where (seed, time,
// step) and ends the run.
struct SimFailure {
  std::string what;
};

[[noreturn]] void SimFail(std::string what);

// Builds the message only when the check fails.
#define SIM_EXPECT(condition, what)   \
  do {                                \
    if (!(condition)) {               \
      ::jobq::testing::SimFail(what); \
    }                                 \
  } while (0)

inline std::string Hex(const JobId& id) { return id.ToString(); }

struct SimEnv {
  SimEnv(uint64_t seed, bool verbose)
      : seed(seed), verbose(verbose), rng(seed), net(rng), start_ms(clock.NowMs()) {}

  bool Chance(int percent) { return static_cast<int>(rng() % 100) < percent; }
  uint64_t Below(uint64_t n) { return rng() % n; }
  TimeMs Now() const { return clock.NowMs(); }
  TimeMs Elapsed() const { return Now() - start_ms; }

  // One line on stderr when replaying a seed (JOBQ_SIM_SEED); nothing else.
  template <typename... Args>
  void Trace(const Args&... args) const {
    if (!verbose) {
      return;
    }
    std::ostringstream out;
    out << "[" << Elapsed() << "ms] ";
    (out << ... << args);
    std::fprintf(stderr, "%s\n", out.str().c_str());
  }

  const uint64_t seed;
  const bool verbose;
  std::mt19937_64 rng;
  FakeClock clock;
  SimNetwork net;
  const TimeMs start_ms;
  Coverage coverage;
  uint64_t steps = 0;  // core steps so far
  uint64_t restarts = 0;
  // The fault phase: broker crashes, lost and clogged messages, crashing,
  // stalling and misbehaving workers. Off for the quiet phase.
  bool faults = true;
};

}  // namespace jobq::testing
