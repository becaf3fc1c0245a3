#include "producer/cli/job_fields.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/duration.h"
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

absl::StatusOr<int64_t> DelayToNotBeforeMs(std::string_view delay, TimeMs now_ms) {
  absl::StatusOr<int64_t> delay_ms = ParseDurationMs(delay);
  if (!delay_ms.ok()) {
    return delay_ms.status();
  }
  return now_ms + *delay_ms;
}

absl::StatusOr<int64_t> AtToNotBeforeMs(std::string_view at, TimeMs now_ms) {
  // Quoted in errors; a JSON line's value could be megabytes.
  constexpr size_t kMaxShown = 64;
  const std::string shown = at.size() > kMaxShown
                                ? absl::StrCat(std::string(at.substr(0, kMaxShown)), "...")
                                : std::string(at);
  absl::Time time;
  // ParseTime also takes the words "infinite-future" and "infinite-past".
  // Debian's abseil has its own string_view.
  if (!absl::ParseTime(absl::RFC3339_full, absl::string_view(at.data(), at.size()), &time,
                       nullptr) ||
      time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be an RFC 3339 time with a UTC offset, such as 2026-12-24T18:00:00Z or "
                     "2026-12-24T19:00:00+01:00, got \"",
                     shown, "\""));
  }
  const int64_t latest_ms = now_ms + kDurationMsMax;
  if (time > absl::FromUnixMillis(latest_ms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at most 10 years (3650d) ahead, got \"", shown, "\": a typo?"));
  }
  int64_t ms = absl::ToUnixMillis(time);  // rounds down
  if (absl::FromUnixMillis(ms) < time) {
    ++ms;
  }
  // Before 1970 is as past as any other past time; the wire has no
  // negative times.
  return std::max<int64_t>(ms, 0);
}

}  // namespace jobq::cli
