// sum_squares and factorial: exact results, limits, bad arguments.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/worker/task_test_support.h"
#include "worker/tasks/builtins/factorial.h"
#include "worker/tasks/builtins/sum_squares.h"

namespace jobq::worker {
namespace {

using testing::BuiltinTaskTest;
using ::testing::HasSubstr;

using MathTaskTest = BuiltinTaskTest;

TEST_F(MathTaskTest, TheyAreCpuTasks) {
  EXPECT_EQ(registry_.Find("sum_squares")->kind, TaskKind::kCpu);
  EXPECT_EQ(registry_.Find("factorial")->kind, TaskKind::kCpu);
}

TEST_F(MathTaskTest, SumSquaresOfSmallN) {
  // Σ i² for 0 <= i < n: n = 0 and n = 1 are both empty of non-zero terms.
  EXPECT_EQ(Value(Run("sum_squares", R"({"n": 0})")), nlohmann::json({{"n", 0}, {"sum", "0"}}));
  EXPECT_EQ(Value(Run("sum_squares", R"({"n": 1})")), nlohmann::json({{"n", 1}, {"sum", "0"}}));
  EXPECT_EQ(Value(Run("sum_squares", R"({"n": 2})")), nlohmann::json({{"n", 2}, {"sum", "1"}}));
  EXPECT_EQ(Value(Run("sum_squares", R"({"n": 10})")), nlohmann::json({{"n", 10}, {"sum", "285"}}));
}

TEST_F(MathTaskTest, SumSquaresPast64BitsMatchesTheClosedForm) {
  // Several cancellation-check blocks, and a sum above 2^64.
  constexpr uint64_t kN = 5'000'000;
  const unsigned __int128 n = kN;
  const unsigned __int128 closed_form = (n - 1) * n * (2 * n - 1) / 6;
  ASSERT_GT(closed_form, static_cast<unsigned __int128>(UINT64_MAX));
  nlohmann::json value = Value(Run("sum_squares", nlohmann::json{{"n", kN}}.dump()));
  EXPECT_EQ(value["sum"], Uint128ToDecimal(closed_form));
  EXPECT_EQ(value["sum"], "41666654166667500000");  // Python: sum(i*i for i in range(5000000))
}

TEST_F(MathTaskTest, SumSquaresTakesAnIntegralFloat) {
  EXPECT_EQ(Value(Run("sum_squares", R"({"n": 1e1})"))["sum"], "285");
}

TEST(Uint128ToDecimalTest, PrintsEveryDigit) {
  EXPECT_EQ(Uint128ToDecimal(0), "0");
  EXPECT_EQ(Uint128ToDecimal(7), "7");
  const unsigned __int128 max = ~static_cast<unsigned __int128>(0);
  EXPECT_EQ(Uint128ToDecimal(max), "340282366920938463463374607431768211455");
}

TEST_F(MathTaskTest, SumSquaresStopsWhenCancelled) {
  CancellationToken token;
  token.Cancel();
  wire::JobResult result =
      RunJob(registry_, testing::MakeJob("sum_squares", R"({"n": 1000000000000})"), token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "cancelled");
  EXPECT_THAT(result.error().message(), HasSubstr("of 1000000000000 terms"));
}

TEST_F(MathTaskTest, FactorialIsExact) {
  EXPECT_EQ(Value(Run("factorial", R"({"n": 0})")),
            nlohmann::json({{"n", 0}, {"digits", 1}, {"value", "1"}}));
  EXPECT_EQ(Value(Run("factorial", R"({"n": 1})"))["value"], "1");
  EXPECT_EQ(Value(Run("factorial", R"({"n": 20})")),
            nlohmann::json({{"n", 20}, {"digits", 19}, {"value", "2432902008176640000"}}));
  EXPECT_EQ(Value(Run("factorial", R"({"n": 25})")),
            nlohmann::json({{"n", 25}, {"digits", 26}, {"value", "15511210043330985984000000"}}));
}

TEST_F(MathTaskTest, FactorialAtItsLimit) {
  nlohmann::json value = Value(Run("factorial", nlohmann::json{{"n", kMaxFactorialN}}.dump()));
  EXPECT_EQ(value["digits"], 456574);  // len(str(math.factorial(100000)))
  const std::string digits = value["value"].get<std::string>();
  EXPECT_EQ(digits.size(), 456574u);
  EXPECT_EQ(digits.substr(0, 20), "28242294079603478742");
}

struct BadN {
  const char* task;
  const char* payload;
  const char* message_part;
};

class MathBadArgsTest : public BuiltinTaskTest, public ::testing::WithParamInterface<BadN> {};

TEST_P(MathBadArgsTest, IsBadArgsNamingTheArgumentAndTheValue) {
  wire::JobResult result = Run(GetParam().task, std::string(GetParam().payload));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr(std::string(GetParam().task) + ": "));
  EXPECT_THAT(result.error().message(), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    SumSquares, MathBadArgsTest,
    ::testing::Values(BadN{"sum_squares", "{}", R"(argument "n" is required)"},
                      BadN{"sum_squares", R"({"n": -1})",
                           R"(argument "n" must be an integer from 0 to 1000000000000, got -1)"},
                      BadN{"sum_squares", R"({"n": 2.5})", "got 2.5"},
                      BadN{"sum_squares", R"({"n": "10"})", R"(got "10")"},
                      BadN{"sum_squares", R"({"n": true})", "got true"},
                      BadN{"sum_squares", R"({"n": null})", "got null"},
                      BadN{"sum_squares", R"({"n": 1000000000001})", "got 1000000000001"},
                      BadN{"sum_squares", R"({"n": 18446744073709551615})",
                           "got 18446744073709551615"},
                      BadN{"sum_squares", R"({"n": 1e300})", R"(argument "n" must be an integer)"},
                      BadN{"sum_squares", "[10]", "must be a JSON object"}));

INSTANTIATE_TEST_SUITE_P(
    Factorial, MathBadArgsTest,
    ::testing::Values(BadN{"factorial", "{}", R"(argument "n" is required)"},
                      BadN{"factorial", R"({"n": -1})",
                           R"(argument "n" must be an integer from 0 to 100000, got -1)"},
                      BadN{"factorial", R"({"n": 100001})", "got 100001"},
                      BadN{"factorial", R"({"n": 0.5})", "got 0.5"},
                      BadN{"factorial", R"({"n": [5]})", "got [5]"},
                      BadN{"factorial", R"("5")", "must be a JSON object"}));

}  // namespace
}  // namespace jobq::worker
