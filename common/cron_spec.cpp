#include "common/cron_spec.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace jobq {
namespace {

constexpr std::array<absl::string_view, 12> kMonthNames = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<absl::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                            "THU", "FRI", "SAT"};

struct CronField {
  absl::string_view name;  // as errors name it
  int low;
  int high;
  // "*" and "a/n" end here: day-of-week's 7 is only another name for 0.
  int star_high;
  int step_max;  // the number of distinct values
  const std::array<absl::string_view, 12>* month_names = nullptr;
  const std::array<absl::string_view, 7>* weekday_names = nullptr;
  absl::string_view allowed;  // the values, as errors list them
};

constexpr CronField kMinute = {
    .name = "minute", .low = 0, .high = 59, .star_high = 59, .step_max = 60, .allowed = "0-59"};
constexpr CronField kHour = {
    .name = "hour", .low = 0, .high = 23, .star_high = 23, .step_max = 24, .allowed = "0-23"};
constexpr CronField kDayOfMonth = {.name = "day-of-month",
                                   .low = 1,
                                   .high = 31,
                                   .star_high = 31,
                                   .step_max = 31,
                                   .allowed = "1-31"};
constexpr CronField kMonth = {.name = "month",
                              .low = 1,
                              .high = 12,
                              .star_high = 12,
                              .step_max = 12,
                              .month_names = &kMonthNames,
                              .allowed = "1-12 or JAN-DEC"};
constexpr CronField kDayOfWeek = {.name = "day-of-week",
                                  .low = 0,
                                  .high = 7,
                                  .star_high = 6,
                                  .step_max = 7,
                                  .weekday_names = &kWeekdayNames,
                                  .allowed = "0-7 or SUN-SAT"};

constexpr absl::string_view kMacroList =
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly";

struct Macro {
  absl::string_view name;
  absl::string_view expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

constexpr absl::string_view kWhitespace = " \t\n\r\f\v";

// Whatever a user typed goes back to them escaped and cut short: it may
// hold quotes, control bytes or a megabyte of text.
std::string Quote(absl::string_view text) {
  constexpr size_t kShownMax = 64;
  if (text.size() > kShownMax) {
    return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kShownMax)), "...\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

absl::Status ItemError(const CronField& field, absl::string_view item, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(field.name, " field ", Quote(item), ": ", problem));
}

bool IsDigits(absl::string_view text) {
  for (const char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Digits as a number that stops growing past any field's range, so a long
// run of digits is "out of range" rather than an overflow.
int SaturatingNumber(absl::string_view digits) {
  constexpr int kCap = 1'000'000;
  int value = 0;
  for (const char c : digits) {
    value = std::min(kCap, value * 10 + (c - '0'));
  }
  return value;
}

template <size_t N>
std::optional<int> LookUpName(const std::array<absl::string_view, N>& names, int first,
                              absl::string_view text) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (absl::EqualsIgnoreCase(text, names[i])) {
      return first + static_cast<int>(i);
    }
  }
  return std::nullopt;
}

// One end of a range: a number or a name. `item` is the whole list item,
// for the error.
absl::StatusOr<int> ParseValue(const CronField& field, absl::string_view item,
                               absl::string_view text) {
  if (!text.empty() && IsDigits(text)) {
    const int value = SaturatingNumber(text);
    if (value < field.low || value > field.high) {
      return ItemError(field, item, absl::StrCat("out of range ", field.low, "-", field.high));
    }
    return value;
  }
  const bool has_names = field.month_names != nullptr || field.weekday_names != nullptr;
  if (has_names && !text.empty() && absl::ascii_isalpha(static_cast<unsigned char>(text[0]))) {
    std::optional<int> value;
    if (field.month_names != nullptr) {
      value = LookUpName(*field.month_names, 1, text);
    } else {
      value = LookUpName(*field.weekday_names, 0, text);
    }
    if (!value.has_value()) {
      return ItemError(field, item, absl::StrCat("unknown name (allowed: ", field.allowed, ")"));
    }
    return *value;
  }
  return ItemError(field, item, absl::StrCat("bad number (allowed: ", field.allowed, ")"));
}

absl::StatusOr<int> ParseStep(const CronField& field, absl::string_view item,
                              absl::string_view text) {
  const std::string steps = absl::StrCat("1-", field.step_max);
  if (text.empty() || !IsDigits(text)) {
    return ItemError(field, item, absl::StrCat("bad step (allowed steps: ", steps, ")"));
  }
  const int step = SaturatingNumber(text);
  if (step == 0) {
    return ItemError(field, item, absl::StrCat("zero step (allowed steps: ", steps, ")"));
  }
  if (step > field.step_max) {
    return ItemError(field, item, absl::StrCat("step out of range ", steps));
  }
  return step;
}

// One list item into *bits.
absl::Status ParseItem(const CronField& field, absl::string_view item, uint64_t* bits) {
  absl::string_view range = item;
  std::optional<absl::string_view> step_text;
  if (const size_t slash = item.find('/'); slash != absl::string_view::npos) {
    range = item.substr(0, slash);
    step_text = item.substr(slash + 1);
  }
  int first = 0;
  int last = 0;
  if (range == "*") {
    first = field.low;
    last = field.star_high;
  } else if (const size_t dash = range.find('-'); dash != absl::string_view::npos) {
    JOBQ_ASSIGN_OR_RETURN(first, ParseValue(field, item, range.substr(0, dash)));
    JOBQ_ASSIGN_OR_RETURN(last, ParseValue(field, item, range.substr(dash + 1)));
    if (first > last) {
      return ItemError(field, item,
                       absl::StrCat("reversed range, ", first, " > ", last,
                                    " (allowed: ", field.allowed, ", start <= end)"));
    }
  } else {
    JOBQ_ASSIGN_OR_RETURN(first, ParseValue(field, item, range));
    // "a/n" runs to the field's last value; "7/n" in day-of-week is Sunday.
    last = step_text.has_value() ? std::max(first, field.star_high) : first;
  }
  int step = 1;
  if (step_text.has_value()) {
    JOBQ_ASSIGN_OR_RETURN(step, ParseStep(field, item, *step_text));
  }
  for (int value = first; value <= last; value += step) {
    *bits |= uint64_t{1} << value;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseField(const CronField& field, absl::string_view text) {
  uint64_t bits = 0;
  for (const absl::string_view item : absl::StrSplit(text, ',')) {
    if (item.empty()) {
      return ItemError(field, text, absl::StrCat("empty list item (allowed: ", field.allowed, ")"));
    }
    JOBQ_RETURN_IF_ERROR(ParseItem(field, item, &bits));
  }
  return bits;
}

absl::StatusOr<CronSpec> ParseFields(absl::string_view expr) {
  const std::vector<absl::string_view> fields =
      absl::StrSplit(expr, absl::ByAnyChar(kWhitespace), absl::SkipEmpty());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("cron expression ", Quote(expr), ": ", fields.size(),
                     " fields, want 5 (minute hour day-of-month month day-of-week) or a macro (",
                     kMacroList, ")"));
  }
  CronSpec spec;
  uint64_t bits = 0;
  JOBQ_ASSIGN_OR_RETURN(spec.minutes, ParseField(kMinute, fields[0]));
  JOBQ_ASSIGN_OR_RETURN(bits, ParseField(kHour, fields[1]));
  spec.hours = static_cast<uint32_t>(bits);
  JOBQ_ASSIGN_OR_RETURN(bits, ParseField(kDayOfMonth, fields[2]));
  spec.days_of_month = static_cast<uint32_t>(bits);
  JOBQ_ASSIGN_OR_RETURN(bits, ParseField(kMonth, fields[3]));
  spec.months = static_cast<uint16_t>(bits);
  JOBQ_ASSIGN_OR_RETURN(bits, ParseField(kDayOfWeek, fields[4]));
  // Sunday has two numbers; the matcher knows only 0.
  if ((bits & (uint64_t{1} << 7)) != 0) {
    bits = (bits & ~(uint64_t{1} << 7)) | 1;
  }
  spec.days_of_week = static_cast<uint8_t>(bits);
  spec.day_of_month_star = fields[2][0] == '*';
  spec.day_of_week_star = fields[4][0] == '*';
  return spec;
}

}  // namespace

absl::StatusOr<CronSpec> ParseCron(std::string_view expr) {
  // Debian's abseil has its own string_view, which std's does not convert to.
  const absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(expr.data(), expr.size()));
  if (absl::StartsWith(trimmed, "@")) {
    for (const Macro& macro : kMacros) {
      if (absl::EqualsIgnoreCase(trimmed, macro.name)) {
        return ParseFields(macro.expansion);
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("cron expression ", Quote(trimmed),
                                                   ": unknown macro (allowed: ", kMacroList, ")"));
  }
  return ParseFields(trimmed);
}

bool CronMatchesDay(const CronSpec& spec, absl::CivilDay day) {
  if ((spec.months >> day.month() & 1) == 0) {
    return false;
  }
  // absl numbers weekdays from Monday; cron from Sunday.
  const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
  const bool dom = (spec.days_of_month >> day.day() & 1) != 0;
  const bool dow = (spec.days_of_week >> weekday & 1) != 0;
  if (spec.day_of_month_star || spec.day_of_week_star) {
    return dom && dow;
  }
  return dom || dow;
}

bool CronMatches(const CronSpec& spec, absl::CivilMinute minute) {
  return (spec.minutes >> minute.minute() & 1) != 0 && (spec.hours >> minute.hour() & 1) != 0 &&
         CronMatchesDay(spec, absl::CivilDay(minute));
}

}  // namespace jobq
