#pragma once
// Conversions of job options from the units people write (`--timeout` in
// seconds, `--retries N`, `--kind io`) to JobSpec fields. Shared by the
// `jobq submit` flags and the JSON Lines of `--file`, so both accept and
// reject the same values. Pure functions; thread-safe.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/clock.h"
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

// A delayed job's not_before_ms (unix ms; the broker holds the job as
// `scheduled` until then, and a time already past means now).
//
// From a delay ("30s", "1.5": common/duration.h), counted from `now_ms`:
// the producer's clock when the job is built, which is when jobq sends it.
absl::StatusOr<int64_t> DelayToNotBeforeMs(std::string_view delay, TimeMs now_ms);
// From an RFC 3339 time with its UTC offset ("2026-12-24T18:00:00Z",
// "2026-12-24T19:00:00.250+01:00"), rounded up to a millisecond so the job
// never runs before the time written. At most kDurationMsMax after
// `now_ms`, as the broker requires.
absl::StatusOr<int64_t> AtToNotBeforeMs(std::string_view at, TimeMs now_ms);

}  // namespace jobq::cli
