#pragma once
// What the multi-host tests share: making the topology (or the reason they
// are skipped), and the small helpers of their messages.

#include <chrono>
#include <memory>
#include <string>

#include "tests/multihost/netns_topology.h"

namespace jobq::testing {

// A new topology in `*topology`, and ""; or why the multi-host tests
// cannot run here (not root, no `ip`, `ip netns add` refused), for
// GTEST_SKIP.
std::string MakeTopology(std::unique_ptr<NetnsTopology>* topology);

double SecondsSince(std::chrono::steady_clock::time_point start);

// The end of a long log, for failure messages.
std::string Tail(const std::string& text, size_t max_chars = 3000);

}  // namespace jobq::testing
