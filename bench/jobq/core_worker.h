#pragma once
// A worker played against a BrokerCore, as the loop would feed it, for the
// benchmarks that drive the core on a fake clock (limits, workflows): every
// DISPATCH is answered at once with successes and their credit; when
// nothing was dispatched, the clock jumps to the deadline Tick returned, as
// the loop sleeps until it. Not thread-safe.

#include <cstddef>
#include <string>

#include "broker/core/broker_core.h"

namespace jobq::bench {

// Answers until `jobs` results were sent, from the effects of the step
// just taken; returns the core's clock then.
TimeMs AnswerUntilDone(broker::core::BrokerCore& core, broker::core::Effects& effects,
                       const std::string& worker, TimeMs now_ms, size_t jobs);

}  // namespace jobq::bench
