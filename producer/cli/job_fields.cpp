#include "producer/cli/job_fields.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/time_limits.h"

namespace jobq::cli {
namespace {

// Bounds that catch typos (a timeout in ms given as seconds) without
// limiting real use: a year of run time (the broker's bound too), a million
// retries.
constexpr int64_t kMaxTimeoutSeconds = kJobTimeoutMsMax / 1000;
constexpr int64_t kMaxRetries = 1'000'000;

}  // namespace

absl::StatusOr<wire::Kind> ParseKind(std::string_view text) {
  if (text == "io") {
    return wire::KIND_IO;
  }
  if (text == "cpu") {
    return wire::KIND_CPU;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("must be \"io\" or \"cpu\", got \"", std::string(text), "\""));
}

absl::StatusOr<int64_t> TimeoutSecondsToMs(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxTimeoutSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a number of seconds from 0 (no timeout) to ", kMaxTimeoutSeconds,
                     " (a year), got ", seconds));
  }
  const int64_t ms = std::llround(seconds * 1000.0);
  // A positive timeout below 1 ms must not turn into "no timeout".
  return seconds > 0 && ms == 0 ? 1 : ms;
}

absl::StatusOr<uint32_t> RetriesToMaxAttempts(int64_t retries) {
  if (retries < 0 || retries > kMaxRetries) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a whole number from 0 to ", kMaxRetries, ", got ", retries));
  }
  return static_cast<uint32_t>(retries + 1);
}

}  // namespace jobq::cli
