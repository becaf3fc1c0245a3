#include "common/duration.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/time_limits.h"

namespace jobq {
namespace {

constexpr double kMaxMs = static_cast<double>(kDurationMsMax);

struct Unit {
  std::string_view suffix;
  int64_t ms;
};
// Longest suffix first, so "ms" is not read as "m" + "s".
constexpr Unit kUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text),
                     "\" is not a duration: use a number with a unit (250ms, 30s, 5m, 24h, 7d) "
                     "or a number of seconds"));
  };
  int64_t unit_ms = 1000;
  std::string_view number = text;
  for (const Unit& unit : kUnits) {
    if (number.size() > unit.suffix.size() &&
        number.substr(number.size() - unit.suffix.size()) == unit.suffix) {
      unit_ms = unit.ms;
      number.remove_suffix(unit.suffix.size());
      break;
    }
  }
  if (number.empty()) {
    return invalid();
  }
  const std::string digits(number);
  char* end = nullptr;
  const double value = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size() || !std::isfinite(value)) {
    return invalid();
  }
  if (value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration \"", std::string(text), "\" is negative"));
  }
  const double ms = value * static_cast<double>(unit_ms);
  if (ms > kMaxMs) {
    return absl::InvalidArgumentError(absl::StrCat("duration \"", std::string(text),
                                                   "\" is longer than 10 years (3650d): a typo?"));
  }
  return static_cast<int64_t>(std::ceil(ms));
}

std::string FormatDurationMs(int64_t ms) {
  for (auto unit = std::rbegin(kUnits); unit != std::rend(kUnits); ++unit) {
    if (ms != 0 && ms % unit->ms == 0) {
      return absl::StrCat(ms / unit->ms, std::string(unit->suffix));
    }
  }
  return absl::StrCat(ms, "ms");
}

}  // namespace jobq
