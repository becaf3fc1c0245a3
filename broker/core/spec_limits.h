#pragma once
// The bounds of a JobSpec's times and durations (common/time_limits.h),
// checked where a job enters the broker: a SUBMIT's job out of them is
// refused with bad_request, and a job read back from a store (written
// before the bounds, or damaged) is clamped into them. Either way the
// broker never adds a time it cannot hold. docs/protocol.md, "SUBMIT",
// states them. Pure functions; thread-safe.

#include <string>

#include "common/clock.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// "" when every time field of `spec` is within its bounds; otherwise the
// bad_request message, naming the first field out of bounds, its value and
// its range. `now_ms` is the broker's clock, which not_before_ms may be
// ahead of by at most kDurationMsMax.
std::string CheckSpecTimes(const wire::JobSpec& spec, TimeMs now_ms);

// Each time field of a stored spec clamped into its range (not_before_ms
// into [0, kUnixMsMax]): a record never refused at submit must still load.
void ClampSpecTimes(wire::JobSpec* spec);

// A time a store recorded (submitted_ms, finished_ms, ...) clamped into
// [0, kUnixMsMax].
TimeMs ClampStoredTime(TimeMs unix_ms);

}  // namespace jobq::broker::core
