#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "common/cron_spec.h"

namespace jobq {
namespace {

uint64_t Values(std::initializer_list<int> values) {
  uint64_t bits = 0;
  for (const int value : values) {
    bits |= uint64_t{1} << value;
  }
  return bits;
}

uint64_t Span(int first, int last, int step = 1) {
  uint64_t bits = 0;
  for (int value = first; value <= last; value += step) {
    bits |= uint64_t{1} << value;
  }
  return bits;
}

CronSpec Parsed(const std::string& expr) {
  const absl::StatusOr<CronSpec> spec = ParseCron(expr);
  EXPECT_TRUE(spec.ok()) << expr << ": " << spec.status();
  return spec.value_or(CronSpec{});
}

std::string ErrorOf(const std::string& expr) {
  const absl::StatusOr<CronSpec> spec = ParseCron(expr);
  if (spec.ok()) {
    return "(parsed)";
  }
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << expr;
  return std::string(spec.status().message());
}

TEST(CronParseTest, StarsAllowEveryValue) {
  const CronSpec spec = Parsed("* * * * *");
  EXPECT_EQ(spec.minutes, Span(0, 59));
  EXPECT_EQ(spec.hours, Span(0, 23));
  EXPECT_EQ(spec.days_of_month, Span(1, 31));
  EXPECT_EQ(spec.months, Span(1, 12));
  EXPECT_EQ(spec.days_of_week, Span(0, 6));
  EXPECT_TRUE(spec.day_of_month_star);
  EXPECT_TRUE(spec.day_of_week_star);
}

TEST(CronParseTest, SingleValuesAtEachFieldsBounds) {
  const CronSpec low = Parsed("0 0 1 1 0");
  EXPECT_EQ(low.minutes, Values({0}));
  EXPECT_EQ(low.hours, Values({0}));
  EXPECT_EQ(low.days_of_month, Values({1}));
  EXPECT_EQ(low.months, Values({1}));
  EXPECT_EQ(low.days_of_week, Values({0}));
  EXPECT_FALSE(low.day_of_month_star);
  EXPECT_FALSE(low.day_of_week_star);

  const CronSpec high = Parsed("59 23 31 12 6");
  EXPECT_EQ(high.minutes, Values({59}));
  EXPECT_EQ(high.hours, Values({23}));
  EXPECT_EQ(high.days_of_month, Values({31}));
  EXPECT_EQ(high.months, Values({12}));
  EXPECT_EQ(high.days_of_week, Values({6}));
}

TEST(CronParseTest, RangesStepsAndLists) {
  EXPECT_EQ(Parsed("10-15 * * * *").minutes, Span(10, 15));
  EXPECT_EQ(Parsed("*/15 * * * *").minutes, Values({0, 15, 30, 45}));
  EXPECT_EQ(Parsed("* */5 * * *").hours, Values({0, 5, 10, 15, 20}));
  EXPECT_EQ(Parsed("* * */10 * *").days_of_month, Values({1, 11, 21, 31}));
  EXPECT_EQ(Parsed("* * * */3 *").months, Values({1, 4, 7, 10}));
  EXPECT_EQ(Parsed("10-30/10 * * * *").minutes, Values({10, 20, 30}));
  EXPECT_EQ(Parsed("10-35/10 * * * *").minutes, Values({10, 20, 30}));
  EXPECT_EQ(Parsed("1,2,3,58 * * * *").minutes, Values({1, 2, 3, 58}));
  EXPECT_EQ(Parsed("0-4,10-30/10,45,*/20 * * * *").minutes,
            Values({0, 1, 2, 3, 4, 10, 20, 30, 40, 45}));
  EXPECT_EQ(Parsed("5-5 * * * *").minutes, Values({5}));
  // A step over the whole field keeps only the first value.
  EXPECT_EQ(Parsed("*/60 * * * *").minutes, Values({0}));
  EXPECT_EQ(Parsed("*/1 * * * *").minutes, Span(0, 59));
}

TEST(CronParseTest, AValueWithAStepRunsToTheFieldsLast) {
  EXPECT_EQ(Parsed("5/15 * * * *").minutes, Values({5, 20, 35, 50}));
  EXPECT_EQ(Parsed("* 20/2 * * *").hours, Values({20, 22}));
  EXPECT_EQ(Parsed("* * * * 1/2").days_of_week, Values({1, 3, 5}));
  EXPECT_EQ(Parsed("* * * * 7/2").days_of_week, Values({0}));
}

TEST(CronParseTest, MonthNamesInAnyCase) {
  EXPECT_EQ(Parsed("0 0 1 JAN *").months, Values({1}));
  EXPECT_EQ(Parsed("0 0 1 dec *").months, Values({12}));
  EXPECT_EQ(Parsed("0 0 1 Mar-mAY *").months, Values({3, 4, 5}));
  EXPECT_EQ(Parsed("0 0 1 jan-dec/3 *").months, Values({1, 4, 7, 10}));
  EXPECT_EQ(Parsed("0 0 1 FEB,aug,11 *").months, Values({2, 8, 11}));
  const char* const names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  for (int month = 1; month <= 12; ++month) {
    EXPECT_EQ(Parsed(std::string("0 0 1 ") + names[month - 1] + " *").months, Values({month}));
  }
}

TEST(CronParseTest, WeekdayNamesInAnyCaseAndSundayIsZeroAndSeven) {
  EXPECT_EQ(Parsed("0 0 * * MON-FRI").days_of_week, Span(1, 5));
  EXPECT_EQ(Parsed("0 0 * * sat,Sun").days_of_week, Values({0, 6}));
  EXPECT_EQ(Parsed("0 0 * * 0").days_of_week, Values({0}));
  EXPECT_EQ(Parsed("0 0 * * 7").days_of_week, Values({0}));
  EXPECT_EQ(Parsed("0 0 * * 5-7").days_of_week, Values({0, 5, 6}));
  EXPECT_EQ(Parsed("0 0 * * 0-7").days_of_week, Span(0, 6));
  EXPECT_EQ(Parsed("0 0 * * */2").days_of_week, Values({0, 2, 4, 6}));
  EXPECT_EQ(Parsed("0 0 * * TUE-sat/2").days_of_week, Values({2, 4, 6}));
  const char* const names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  for (int day = 0; day < 7; ++day) {
    EXPECT_EQ(Parsed(std::string("0 0 * * ") + names[day]).days_of_week, Values({day}));
  }
}

TEST(CronParseTest, NamesOnlyInTheirFields) {
  EXPECT_EQ(ErrorOf("JAN * * * *"), "minute field \"JAN\": bad number (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("0 0 1 MON *"), "month field \"MON\": unknown name (allowed: 1-12 or JAN-DEC)");
  EXPECT_EQ(ErrorOf("0 0 * * JAN"),
            "day-of-week field \"JAN\": unknown name (allowed: 0-7 or SUN-SAT)");
  EXPECT_EQ(ErrorOf("0 0 * * MONDAY"),
            "day-of-week field \"MONDAY\": unknown name (allowed: 0-7 or SUN-SAT)");
}

TEST(CronParseTest, ADayFieldIsUnrestrictedWhenItBeginsWithAStar) {
  EXPECT_FALSE(Parsed("0 0 1-31 * *").day_of_month_star);
  EXPECT_TRUE(Parsed("0 0 */2 * *").day_of_month_star);
  EXPECT_TRUE(Parsed("0 0 *,5 * *").day_of_month_star);
  EXPECT_FALSE(Parsed("0 0 5,* * *").day_of_month_star);
  EXPECT_FALSE(Parsed("0 0 * * 0-6").day_of_week_star);
  EXPECT_TRUE(Parsed("0 0 * * */2").day_of_week_star);
}

TEST(CronParseTest, MacrosAreTheirExpansionsInAnyCase) {
  EXPECT_EQ(Parsed("@yearly"), Parsed("0 0 1 1 *"));
  EXPECT_EQ(Parsed("@annually"), Parsed("0 0 1 1 *"));
  EXPECT_EQ(Parsed("@monthly"), Parsed("0 0 1 * *"));
  EXPECT_EQ(Parsed("@weekly"), Parsed("0 0 * * 0"));
  EXPECT_EQ(Parsed("@daily"), Parsed("0 0 * * *"));
  EXPECT_EQ(Parsed("@midnight"), Parsed("0 0 * * *"));
  EXPECT_EQ(Parsed("@hourly"), Parsed("0 * * * *"));
  EXPECT_EQ(Parsed("@DAILY"), Parsed("0 0 * * *"));
  EXPECT_EQ(Parsed("  @Hourly\n"), Parsed("0 * * * *"));
}

TEST(CronParseTest, AnyWhitespaceBetweenAndAroundFields) {
  EXPECT_EQ(Parsed(" \t0   12\t* *  1-5 \n"), Parsed("0 12 * * 1-5"));
}

TEST(CronParseTest, WrongNumberOfFields) {
  const std::string want =
      " fields, want 5 (minute hour day-of-month month day-of-week) or a macro (@yearly, "
      "@annually, @monthly, @weekly, @daily, @midnight, @hourly)";
  EXPECT_EQ(ErrorOf(""), "cron expression \"\": 0" + want);
  EXPECT_EQ(ErrorOf("   "), "cron expression \"\": 0" + want);
  EXPECT_EQ(ErrorOf("* * * *"), "cron expression \"* * * *\": 4" + want);
  EXPECT_EQ(ErrorOf("0 * * * * *"), "cron expression \"0 * * * * *\": 6" + want);
  EXPECT_EQ(ErrorOf("0 0 * * * /bin/true"), "cron expression \"0 0 * * * /bin/true\": 6" + want);
}

TEST(CronParseTest, UnknownMacro) {
  EXPECT_EQ(ErrorOf("@reboot"),
            "cron expression \"@reboot\": unknown macro (allowed: @yearly, @annually, @monthly, "
            "@weekly, @daily, @midnight, @hourly)");
  EXPECT_EQ(ErrorOf("@daily 5"),
            "cron expression \"@daily 5\": unknown macro (allowed: @yearly, @annually, @monthly, "
            "@weekly, @daily, @midnight, @hourly)");
}

TEST(CronParseTest, OutOfRangeNamesTheFieldTheItemAndTheRange) {
  EXPECT_EQ(ErrorOf("61 * * * *"), "minute field \"61\": out of range 0-59");
  EXPECT_EQ(ErrorOf("60 * * * *"), "minute field \"60\": out of range 0-59");
  EXPECT_EQ(ErrorOf("0 24 * * *"), "hour field \"24\": out of range 0-23");
  EXPECT_EQ(ErrorOf("0 0 0 * *"), "day-of-month field \"0\": out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 32 * *"), "day-of-month field \"32\": out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 1 0 *"), "month field \"0\": out of range 1-12");
  EXPECT_EQ(ErrorOf("0 0 1 13 *"), "month field \"13\": out of range 1-12");
  EXPECT_EQ(ErrorOf("0 0 * * 8"), "day-of-week field \"8\": out of range 0-7");
  EXPECT_EQ(ErrorOf("1,50-61 * * * *"), "minute field \"50-61\": out of range 0-59");
  EXPECT_EQ(ErrorOf("99999999999999999999 * * * *"),
            "minute field \"99999999999999999999\": out of range 0-59");
}

TEST(CronParseTest, BadNumbers) {
  EXPECT_EQ(ErrorOf("1x * * * *"), "minute field \"1x\": bad number (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("-5 * * * *"), "minute field \"-5\": bad number (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("+5 * * * *"), "minute field \"+5\": bad number (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("0 1-2-3 * * *"), "hour field \"1-2-3\": bad number (allowed: 0-23)");
  EXPECT_EQ(ErrorOf("0 0 L * *"), "day-of-month field \"L\": bad number (allowed: 1-31)");
  EXPECT_EQ(ErrorOf("0 0 ? * *"), "day-of-month field \"?\": bad number (allowed: 1-31)");
  EXPECT_EQ(ErrorOf("0 0 * 1x *"), "month field \"1x\": bad number (allowed: 1-12 or JAN-DEC)");
  EXPECT_EQ(ErrorOf("0 0 * * 5#2"),
            "day-of-week field \"5#2\": bad number (allowed: 0-7 or SUN-SAT)");
  EXPECT_EQ(ErrorOf("/5 * * * *"), "minute field \"/5\": bad number (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("*-5 * * * *"), "minute field \"*-5\": bad number (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("*/x * * * *"), "minute field \"*/x\": bad step (allowed steps: 1-60)");
  EXPECT_EQ(ErrorOf("*/ * * * *"), "minute field \"*/\": bad step (allowed steps: 1-60)");
  EXPECT_EQ(ErrorOf("*/2/3 * * * *"), "minute field \"*/2/3\": bad step (allowed steps: 1-60)");
}

TEST(CronParseTest, ReversedRange) {
  EXPECT_EQ(ErrorOf("0 5-2 * * *"),
            "hour field \"5-2\": reversed range, 5 > 2 (allowed: 0-23, start <= end)");
  EXPECT_EQ(ErrorOf("0 0 * * FRI-MON"),
            "day-of-week field \"FRI-MON\": reversed range, 5 > 1 (allowed: 0-7 or SUN-SAT, "
            "start <= end)");
  EXPECT_EQ(ErrorOf("0 0 1 DEC-JAN *"),
            "month field \"DEC-JAN\": reversed range, 12 > 1 (allowed: 1-12 or JAN-DEC, start <= "
            "end)");
}

TEST(CronParseTest, ZeroAndTooLargeSteps) {
  EXPECT_EQ(ErrorOf("*/0 * * * *"), "minute field \"*/0\": zero step (allowed steps: 1-60)");
  EXPECT_EQ(ErrorOf("0 1-5/00 * * *"), "hour field \"1-5/00\": zero step (allowed steps: 1-24)");
  EXPECT_EQ(ErrorOf("*/61 * * * *"), "minute field \"*/61\": step out of range 1-60");
  EXPECT_EQ(ErrorOf("0 0 * * */8"), "day-of-week field \"*/8\": step out of range 1-7");
  EXPECT_EQ(ErrorOf("0 0 */32 * *"), "day-of-month field \"*/32\": step out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 1 */13 *"), "month field \"*/13\": step out of range 1-12");
}

TEST(CronParseTest, EmptyListItems) {
  EXPECT_EQ(ErrorOf("1,,2 * * * *"), "minute field \"1,,2\": empty list item (allowed: 0-59)");
  EXPECT_EQ(ErrorOf("0 1, * * *"), "hour field \"1,\": empty list item (allowed: 0-23)");
  EXPECT_EQ(ErrorOf("0 0 * ,JAN *"),
            "month field \",JAN\": empty list item (allowed: 1-12 or JAN-DEC)");
}

TEST(CronParseTest, TheFirstBadFieldIsReported) {
  EXPECT_EQ(ErrorOf("61 25 * * *"), "minute field \"61\": out of range 0-59");
}

TEST(CronParseTest, ErrorsEscapeAndShortenWhatTheyQuote) {
  EXPECT_EQ(ErrorOf("0 \"\x01 * * *"), "hour field \"\\\"\\x01\": bad number (allowed: 0-23)");
  const std::string long_item(100, '9');
  EXPECT_EQ(ErrorOf(long_item + " * * * *"),
            "minute field \"" + std::string(64, '9') + "...\": out of range 0-59");
}

}  // namespace
}  // namespace jobq
