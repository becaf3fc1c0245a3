#include "producer/cli/job_args.h"

#include <gtest/gtest.h>

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

Json ValueOf(std::string_view assignment) {
  auto parsed = ParseArgAssignment(assignment);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? parsed->second : Json();
}

TEST(ParseArgAssignmentTest, ValueIsJsonWhenItParses) {
  EXPECT_EQ(ValueOf("n=5"), Json(5));
  EXPECT_EQ(ValueOf("x=-2.5"), Json(-2.5));
  EXPECT_EQ(ValueOf("xs=[1,2]"), Json::parse("[1,2]"));
  EXPECT_EQ(ValueOf("ok=true"), Json(true));
  EXPECT_EQ(ValueOf("off=false"), Json(false));
  EXPECT_EQ(ValueOf("nothing=null"), Json(nullptr));
  EXPECT_EQ(ValueOf("o={\"a\":1}"), Json::parse("{\"a\":1}"));
  EXPECT_EQ(ValueOf("quoted=\"5\""), Json("5"));
}

TEST(ParseArgAssignmentTest, ValueIsStringOtherwise) {
  EXPECT_EQ(ValueOf("s=abc"), Json("abc"));
  EXPECT_EQ(ValueOf("url=https://example.com/?a=b"), Json("https://example.com/?a=b"));
  EXPECT_EQ(ValueOf("zip=007"), Json("007"));  // leading zeros are not JSON
  EXPECT_EQ(ValueOf("half=[1,"), Json("[1,"));
}

TEST(ParseArgAssignmentTest, EmptyValueIsEmptyString) { EXPECT_EQ(ValueOf("k="), Json("")); }

TEST(ParseArgAssignmentTest, SplitsAtFirstEquals) {
  auto parsed = ParseArgAssignment("expr=a=b");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, "expr");
  EXPECT_EQ(parsed->second, Json("a=b"));
}

TEST(ParseArgAssignmentTest, MissingEqualsIsAnError) {
  auto parsed = ParseArgAssignment("seconds");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("'seconds' is not KEY=VALUE"), absl::string_view::npos);
}

TEST(ParseArgAssignmentTest, EmptyKeyIsAnError) {
  auto parsed = ParseArgAssignment("=5");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("empty key"), absl::string_view::npos);
}

TEST(BuildArgsObjectTest, NoFlagsGiveEmptyObject) {
  auto args = BuildArgsObject(std::nullopt, {});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->dump(), "{}");
}

TEST(BuildArgsObjectTest, ArgsMergeInOrderLaterWins) {
  auto args = BuildArgsObject(std::nullopt, {"n=5", "s=abc", "n=6"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->dump(), R"({"n":6,"s":"abc"})");
}

TEST(BuildArgsObjectTest, ArgsOverrideJsonKeys) {
  auto args = BuildArgsObject(std::string(R"({"n": 1, "keep": [true]})"), {"n=2", "extra=x"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->dump(), R"({"n":2,"keep":[true],"extra":"x"})");
}

TEST(BuildArgsObjectTest, JsonMustBeAnObject) {
  auto args = BuildArgsObject(std::string("[1, 2]"), {});
  ASSERT_FALSE(args.ok());
  EXPECT_NE(args.status().message().find("must be a JSON object"), absl::string_view::npos);
}

TEST(BuildArgsObjectTest, JsonMustParse) {
  auto args = BuildArgsObject(std::string("{n: 1}"), {});
  ASSERT_FALSE(args.ok());
  EXPECT_NE(args.status().message().find("not valid JSON"), absl::string_view::npos);
}

TEST(BuildArgsObjectTest, MalformedArgIsReported) {
  auto args = BuildArgsObject(std::nullopt, {"n=1", "oops"});
  ASSERT_FALSE(args.ok());
  EXPECT_NE(args.status().message().find("'oops'"), absl::string_view::npos);
}

}  // namespace
}  // namespace jobq::cli
