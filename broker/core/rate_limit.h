#pragma once
// The numbers of a queue's limit (issue 17, item 3), as people type them and
// as the core checks them: a rate ("100/s", "6000/min", "10/h", "0.5/s"),
// a burst and a concurrency cap. broker/core/token_bucket.h spends the rate
// and burst; the core counts running jobs against the cap (limits.cpp).
//
// A rate is kept as an exact fraction, RateSpec::count tokens every
// RateSpec::period_ms milliseconds, never as a double: "0.1/s" in binary
// floating point is not a tenth, and a bucket refilled from it drifts.
//
// Bounds (each far from overflow in TokenBucket's arithmetic; the
// static_asserts in token_bucket.cpp say why they are enough):
//   rate         above 0, at most kRatePerSecondMax (1,000,000/s), with at
//                most 3 digits after the point (the slowest: 0.001/h)
//   burst        1 to kBurstMax
//   concurrency  1 to kConcurrencyMax
//
// Pure functions on plain values; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jobq::broker::core {

inline constexpr int64_t kRatePerSecondMax = 1'000'000;
inline constexpr int kRateDecimalsMax = 3;
// The longest period a parsed rate can have: a digit after the point of a
// rate per hour (0.001/h is one token every 3,600,000,000 ms).
inline constexpr int64_t kRatePeriodMsMax = 3'600'000'000;
inline constexpr int64_t kBurstMax = 1'000'000'000;
inline constexpr int64_t kConcurrencyMax = 1'000'000;

// `count` tokens every `period_ms` milliseconds, in lowest terms when it
// comes from ParseRate, so equal rates compare equal however they were
// written ("100/s" == "6000/min" == {1, 10}).
struct RateSpec {
  int64_t count = 0;
  int64_t period_ms = 0;

  friend bool operator==(const RateSpec&, const RateSpec&) = default;
};

// Parses "<number>/<unit>": the number is digits with at most 3 more
// after a point; the unit is s, m or min, or h. Nothing else, not even
// surrounding spaces. INVALID_ARGUMENT naming the text and the form
// expected, for anything malformed, a rate of 0 ("would never dispatch; use
// jobq pause instead"), a negative rate, more than 3 decimals, or a rate
// above kRatePerSecondMax.
absl::StatusOr<RateSpec> ParseRate(std::string_view text);

// OK when `rate` is within the bounds above, as a rate read back from a
// store or sent by a peer must be before a TokenBucket is made from it
// (which CHECKs it); otherwise INVALID_ARGUMENT naming count and period.
// Does not require lowest terms.
absl::Status CheckRate(const RateSpec& rate);

// The shortest of "N/s", "N/min" and "N/h" (N with up to 3 decimals, no
// trailing zeros) that is exact, so ParseRate(FormatRate(r)) == r for any r
// ParseRate returns. A valid rate no unit shows exactly (a stored
// {1, 7}) is shown as "1/7ms", which ParseRate refuses.
std::string FormatRate(const RateSpec& rate);

// The burst when none is given: one second's worth of tokens, rounded down,
// and at least 1 (so 100/s and 6000/min both allow 100 at once, and 0.5/s
// or 10/h allow 1). A second because the broker dispatches in rounds, not
// job by job: a burst of 1 at 100/s would have every round that comes more
// than 10 ms after the last find one token. `rate` passes CheckRate.
int64_t DefaultBurst(const RateSpec& rate);

// A burst: a whole number from 1 to kBurstMax. ParseBurst reads digits
// with an optional leading '-' (so that "-3" is called negative, not
// malformed) and nothing else. INVALID_ARGUMENT naming the value and the
// range, for a malformed, negative, zero or too large value.
absl::Status CheckBurst(int64_t burst);
absl::StatusOr<int64_t> ParseBurst(std::string_view text);

// A concurrency cap (how many of a queue's jobs may run at once across all
// workers): a whole number from 1 to kConcurrencyMax, read and refused as a
// burst is.
absl::Status CheckConcurrency(int64_t concurrency);
absl::StatusOr<int64_t> ParseConcurrency(std::string_view text);

}  // namespace jobq::broker::core
