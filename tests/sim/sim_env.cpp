#include "tests/sim/sim_env.h"

#include <utility>

namespace jobq::testing {

void SimFail(std::string what) { throw SimFailure{std::move(what)}; }

}  // namespace jobq::testing
