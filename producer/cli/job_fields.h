#pragma once
// Conversions of job options from the units people write (`--timeout` in
// seconds, `--retries N`, `--kind io`) to JobSpec fields. Shared by the
// `jobq submit` flags and the JSON Lines of `--file`, so both accept and
// reject the same values. Pure functions; thread-safe.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "jobq/wire.pb.h"

namespace jobq::cli {

// The content type of the payloads the CLI builds.
inline constexpr std::string_view kJsonContentType = "application/json";

// Errors say what is wrong starting with "must ...", for the caller to
// prefix with the field or flag it checked.

// "io" or "cpu".
absl::StatusOr<wire::Kind> ParseKind(std::string_view text);

// A job timeout in seconds (fractions allowed; 0 = none) to timeout_ms.
absl::StatusOr<int64_t> TimeoutSecondsToMs(double seconds);

// Retries after the first attempt to max_attempts (= retries + 1).
absl::StatusOr<uint32_t> RetriesToMaxAttempts(int64_t retries);

}  // namespace jobq::cli
