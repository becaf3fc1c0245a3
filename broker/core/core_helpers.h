#pragma once
// Internal to broker/core: what more than one of BrokerCore's .cpp files
// uses, defined once here (a unity build compiles those files together, so a
// copy in each file's anonymous namespace would clash).

namespace jobq::broker::core {

// The queue of a job or sentinel that names none.
inline constexpr const char* kDefaultQueue = "default";

}  // namespace jobq::broker::core
