#include "broker/core/rate_limit.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "absl/strings/str_cat.h"

namespace jobq::broker::core {
namespace {

// Names here are unique to this file: BrokerCore's unity build compiles it
// together with the other broker/core sources.

struct RateUnit {
  const char* name;
  int64_t ms;
};
constexpr RateUnit kRateUnits[] = {{"s", 1000}, {"m", 60'000}, {"min", 60'000}, {"h", 3'600'000}};
// The units FormatRate tries, shortest first.
constexpr RateUnit kRateShownUnits[] = {{"s", 1000}, {"min", 60'000}, {"h", 3'600'000}};

constexpr int64_t kRateScale = 1000;  // 10^kRateDecimalsMax
static_assert(kRatePeriodMsMax == 3'600'000 * kRateScale);
// Digits before the point are read up to here and no further: any number
// this large is above the maximum in every unit (3.6e9 an hour), and
// stopping keeps whole * kRateScale + fraction far from overflow.
constexpr int64_t kRateWholeStop = 10'000'000'000'000;

constexpr const char* kRateForm =
    "use a count per second, minute or hour, such as 100/s, 6000/min, 10/h or 0.5/s";

absl::Status RateError(std::string_view text, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("rate \"", std::string(text), "\" ", std::string(problem)));
}

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A whole number as typed: an optional '-', then digits only. The magnitude
// stops growing at kWholeStop, far above every bound it is checked against,
// so a long string of digits is "above the maximum", not an overflow.
struct WholeNumber {
  bool negative = false;
  int64_t magnitude = 0;
};
constexpr int64_t kWholeStop = int64_t{1} << 62;

std::optional<WholeNumber> ReadWholeNumber(std::string_view text) {
  WholeNumber number;
  if (!text.empty() && text.front() == '-') {
    number.negative = true;
    text.remove_prefix(1);
  }
  if (!IsDigits(text)) {
    return std::nullopt;
  }
  for (const char c : text) {
    number.magnitude =
        number.magnitude >= kWholeStop / 10 ? kWholeStop : number.magnitude * 10 + (c - '0');
  }
  return number;
}

// What a burst or a concurrency cap is, for the messages of both.
struct WholeKind {
  const char* name;
  int64_t max;
  const char* zero_means;
};
constexpr WholeKind kBurstKind{"burst", kBurstMax, "no job could ever be dispatched"};
constexpr WholeKind kConcurrencyKind{"concurrency", kConcurrencyMax,
                                     "no job could ever run; use jobq pause instead"};

std::string WholeRange(const WholeKind& kind) {
  return absl::StrCat("a ", kind.name, " is a whole number from 1 to ", kind.max);
}

// `shown` is the value as the caller gave it, so that a 30-digit burst is
// named as typed, not as the number it stopped at.
absl::Status CheckWhole(const WholeKind& kind, std::string_view shown, bool negative,
                        int64_t magnitude) {
  if (negative && magnitude != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind.name, " ", std::string(shown), " is negative: ", WholeRange(kind)));
  }
  if (magnitude == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind.name, " ", std::string(shown), " is 0: ", kind.zero_means, "; ", WholeRange(kind)));
  }
  if (magnitude > kind.max) {
    return absl::InvalidArgumentError(absl::StrCat(kind.name, " ", std::string(shown),
                                                   " is above the maximum: ", WholeRange(kind)));
  }
  return absl::OkStatus();
}

absl::Status CheckWholeValue(const WholeKind& kind, int64_t value) {
  // -value would overflow for INT64_MIN; any negative magnitude will do.
  return CheckWhole(kind, absl::StrCat(value), value < 0, value < 0 ? 1 : value);
}

absl::StatusOr<int64_t> ParseWhole(const WholeKind& kind, std::string_view text) {
  const std::optional<WholeNumber> number = ReadWholeNumber(text);
  if (!number.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(kind.name, " \"", std::string(text),
                                                   "\" is not a whole number: ", WholeRange(kind)));
  }
  const absl::Status status = CheckWhole(kind, text, number->negative, number->magnitude);
  if (!status.ok()) {
    return status;
  }
  return number->magnitude;
}

// "2.5" for 2500 thousandths: no trailing zeros, no point for whole numbers.
std::string ThousandthsText(int64_t thousandths) {
  std::string text = absl::StrCat(thousandths / kRateScale);
  int64_t fraction = thousandths % kRateScale;
  if (fraction == 0) {
    return text;
  }
  int digits = kRateDecimalsMax;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  std::string fraction_text = absl::StrCat(fraction);
  fraction_text.insert(0, static_cast<size_t>(digits) - fraction_text.size(), '0');
  return absl::StrCat(text, ".", fraction_text);
}

}  // namespace

absl::StatusOr<RateSpec> ParseRate(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\" is not a rate: ", kRateForm));
  }
  std::string_view number = text.substr(0, slash);
  const std::string_view unit_name = text.substr(slash + 1);
  const RateUnit* unit = nullptr;
  for (const RateUnit& candidate : kRateUnits) {
    if (candidate.name == unit_name) {
      unit = &candidate;
    }
  }
  if (unit == nullptr) {
    return RateError(text, absl::StrCat("has no unit jobq knows (s, m or min, h): ", kRateForm));
  }
  const bool negative = !number.empty() && number.front() == '-';
  if (negative) {
    number.remove_prefix(1);
  }
  const size_t point = number.find('.');
  const std::string_view whole = number.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : number.substr(point + 1);
  if (!IsDigits(whole) || (point != std::string_view::npos && !IsDigits(fraction))) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\" is not a rate: ", kRateForm));
  }
  if (fraction.size() > static_cast<size_t>(kRateDecimalsMax)) {
    return RateError(text,
                     "has more than 3 digits after the point: use a longer unit (per minute or "
                     "per hour)");
  }
  // count / period_ms = (whole.fraction) / unit, scaled by 10^decimals so
  // that both are integers.
  int64_t count = 0;
  for (const char c : whole) {
    count = std::min(kRateWholeStop, count * 10 + (c - '0'));
  }
  int64_t period_ms = unit->ms;
  for (const char c : fraction) {
    count = count * 10 + (c - '0');
    period_ms *= 10;
  }
  if (count == 0) {
    return RateError(text, "is 0: a rate of 0 would never dispatch; use jobq pause instead");
  }
  if (negative) {
    return RateError(text, absl::StrCat("is negative: ", kRateForm));
  }
  // At most kRatePerSecondMax / 1000 tokens a ms, compared without
  // multiplying count, which may be up to kRateWholeStop * kRateScale.
  if (count > kRatePerSecondMax / 1000 * period_ms) {
    return RateError(text, absl::StrCat("is above the maximum, ", kRatePerSecondMax, "/s"));
  }
  const int64_t divisor = std::gcd(count, period_ms);
  return RateSpec{count / divisor, period_ms / divisor};
}

absl::Status CheckRate(const RateSpec& rate) {
  // count <= 1000 * period_ms is the maximum rate, 1000 tokens a ms; the
  // period's bound comes first so that the product cannot overflow.
  if (rate.count < 1 || rate.period_ms < 1 || rate.period_ms > kRatePeriodMsMax ||
      rate.count > kRatePerSecondMax / 1000 * rate.period_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate of ", rate.count, " every ", rate.period_ms,
                     " ms is out of range: the count must be ", "at least 1, the period from 1 to ",
                     kRatePeriodMsMax, " ms, and the rate at most ", kRatePerSecondMax, "/s"));
  }
  return absl::OkStatus();
}

std::string FormatRate(const RateSpec& rate) {
  for (const RateUnit& unit : kRateShownUnits) {
    // Thousandths of a token per unit = count * unit.ms * 1000 / period_ms,
    // computed without the product (up to 1.3e22): reduced by the common
    // factor of unit.ms * 1000 and period_ms first, it is a whole number
    // exactly when what is left of period_ms divides count. The result is
    // at most 1000 tokens a ms * 3.6e6 ms * 1000, so it fits.
    const int64_t scale = unit.ms * kRateScale;
    const int64_t common = std::gcd(scale, rate.period_ms);
    const int64_t period_left = rate.period_ms / common;
    if (rate.count % period_left == 0) {
      return absl::StrCat(ThousandthsText(rate.count / period_left * (scale / common)), "/",
                          unit.name);
    }
  }
  return absl::StrCat(rate.count, "/", rate.period_ms, "ms");
}

int64_t DefaultBurst(const RateSpec& rate) {
  return std::max<int64_t>(1, rate.count * 1000 / rate.period_ms);
}

absl::Status CheckBurst(int64_t burst) { return CheckWholeValue(kBurstKind, burst); }

absl::StatusOr<int64_t> ParseBurst(std::string_view text) { return ParseWhole(kBurstKind, text); }

absl::Status CheckConcurrency(int64_t concurrency) {
  return CheckWholeValue(kConcurrencyKind, concurrency);
}

absl::StatusOr<int64_t> ParseConcurrency(std::string_view text) {
  return ParseWhole(kConcurrencyKind, text);
}

}  // namespace jobq::broker::core
