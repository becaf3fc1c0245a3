#pragma once
// Durations as people type them on a command line: "250ms", "30s", "5m",
// "24h", "7d", or a plain number of seconds ("1.5").

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace jobq {

// Milliseconds, rounded up so that a positive duration never becomes 0.
// INVALID_ARGUMENT, with the accepted forms, for anything else or a
// negative or absurd value (over kDurationMsMax, 10 years:
// common/time_limits.h).
absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

// The shortest exact form: "250ms", "30s", "5m", "24h", "7d".
std::string FormatDurationMs(int64_t ms);

}  // namespace jobq
