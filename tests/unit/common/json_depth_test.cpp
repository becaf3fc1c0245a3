#include "common/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace jobq {
namespace {

std::string Arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string Objects(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) {
    text += "{\"a\":";
  }
  return text + "1" + std::string(depth, '}');
}

// The payload of issue 14 that took workers down: `{"d":` + 100,000 arrays.
std::string ReportedPayload() { return "{\"d\":" + Arrays(100'000) + "}"; }

TEST(JsonDepthTest, TakesNestingUpToTheBound) {
  for (const std::string& text : {Arrays(kJsonDepthMax), Objects(kJsonDepthMax)}) {
    nlohmann::json value;
    ASSERT_TRUE(ParseJsonBounded(text, &value).ok());
    EXPECT_EQ(value.dump(), text) << "the value is whole, not cut at the bound";
    EXPECT_TRUE(CheckJsonBounded(text).ok());
  }
}

TEST(JsonDepthTest, RefusesOneLevelMoreNamingTheBound) {
  for (const std::string& text : {Arrays(kJsonDepthMax + 1), Objects(kJsonDepthMax + 1),
                                  "{\"d\":" + Arrays(kJsonDepthMax) + "}"}) {
    nlohmann::json value;
    const absl::Status status = ParseJsonBounded(text, &value);
    EXPECT_TRUE(IsJsonTooDeep(status)) << status;
    EXPECT_EQ(status.message(), "nested deeper than 512 levels");
    EXPECT_TRUE(IsJsonTooDeep(CheckJsonBounded(text)));
  }
}

TEST(JsonDepthTest, RefusesTheReportedPayloadsWithoutRecursing) {
  nlohmann::json value = "unchanged";
  EXPECT_TRUE(IsJsonTooDeep(ParseJsonBounded(ReportedPayload(), &value)));
  EXPECT_EQ(value, "unchanged") << "nothing of a refused value is kept";
  EXPECT_TRUE(IsJsonTooDeep(CheckJsonBounded(ReportedPayload())));
  nlohmann::ordered_json ordered;
  EXPECT_TRUE(IsJsonTooDeep(ParseJsonBounded(Objects(50'000), &ordered)));
  // Openers only: too deep is found before the missing closers.
  EXPECT_TRUE(IsJsonTooDeep(ParseJsonBounded(std::string(100'000, '['), &value)));
}

TEST(JsonDepthTest, BracketsInStringsAreNotNesting) {
  const std::string text = "[\"" + std::string(10'000, '[') + "\"]";
  nlohmann::json value;
  ASSERT_TRUE(ParseJsonBounded(text, &value).ok());
  EXPECT_EQ(value[0].get<std::string>().size(), 10'000u);
}

// The quick bracket count before the parse must read strings as the parser
// does: an escaped quote does not end one, and an escaped backslash before
// a quote does.
TEST(JsonDepthTest, EscapesInStringsAreReadAsTheParserReadsThem) {
  const std::string brackets(10'000, '[');
  nlohmann::json value;
  ASSERT_TRUE(ParseJsonBounded("[\"\\\"" + brackets + "\"]", &value).ok());
  EXPECT_EQ(value[0].get<std::string>(), "\"" + brackets);
  // "\\" is one backslash: the quote after it ends the string, and the
  // brackets after that are nesting.
  const absl::Status deep = ParseJsonBounded("[\"\\\\\"," + brackets, &value);
  EXPECT_TRUE(IsJsonTooDeep(deep)) << deep;
}

// Brackets after the point where the text stops being JSON are no nesting
// the parser would build: the error is the syntax, not the depth.
TEST(JsonDepthTest, BracketsAfterAnErrorAreInvalidArgument) {
  const std::string brackets(10'000, '[');
  for (const std::string& text : {"[1, x" + brackets, "{\"a\": tru" + brackets, "]" + brackets}) {
    nlohmann::json value;
    const absl::Status parsed = ParseJsonBounded(text, &value);
    EXPECT_EQ(parsed.code(), absl::StatusCode::kInvalidArgument) << text.substr(0, 20);
  }
}

TEST(JsonDepthTest, OtherErrorsAreInvalidArgumentNotTooDeep) {
  for (const char* text : {"", "{not json", "[1,", "1e999", "{\"a\":1} trailing"}) {
    nlohmann::json value;
    const absl::Status parsed = ParseJsonBounded(text, &value);
    EXPECT_EQ(parsed.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_FALSE(IsJsonTooDeep(parsed)) << text;
    const absl::Status checked = CheckJsonBounded(text);
    EXPECT_EQ(checked.code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(JsonDepthTest, ExtremeButValidValuesParse) {
  nlohmann::json value;
  ASSERT_TRUE(
      ParseJsonBounded("[18446744073709551615,-9223372036854775808,4.9e-324,1e-999]", &value).ok());
  EXPECT_EQ(value[0].get<uint64_t>(), 18446744073709551615u);
  ASSERT_TRUE(ParseJsonBounded("\"" + std::string(1 << 20, 'x') + "\"", &value).ok());
  EXPECT_EQ(value.get<std::string>().size(), size_t{1} << 20);
}

TEST(JsonDepthTest, KeepsKeyOrderInOrderedJson) {
  nlohmann::ordered_json value;
  ASSERT_TRUE(ParseJsonBounded(R"({"b":1,"a":2})", &value).ok());
  EXPECT_EQ(value.dump(), R"({"b":1,"a":2})");
}

TEST(JsonDepthTest, TakesALowerBound) {
  nlohmann::json value;
  EXPECT_TRUE(ParseJsonBounded(Arrays(3), &value, 3).ok());
  const absl::Status status = ParseJsonBounded(Arrays(4), &value, 3);
  EXPECT_TRUE(IsJsonTooDeep(status));
  EXPECT_EQ(status.message(), "nested deeper than 3 levels");
  EXPECT_TRUE(CheckJsonBounded("1", 0).ok()) << "a scalar is no level";
  EXPECT_TRUE(IsJsonTooDeep(CheckJsonBounded("[]", 0)));
}

}  // namespace
}  // namespace jobq
