// What a released child's payload gains (docs/protocol.md, "Workflows"):
// results of each kind as JSON, keys and texts escaped, failures apart,
// the bound, and the merge into the payload.

#include "broker/core/workflow_inputs.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace jobq::broker::core {
namespace {

ParentOutcome Succeeded(std::string key, std::string_view result,
                        std::string_view content_type = "") {
  ParentOutcome parent;
  parent.key = std::move(key);
  parent.state = wire::JOB_STATE_SUCCEEDED;
  parent.result = result;
  parent.content_type = content_type;
  return parent;
}

TEST(WorkflowInputsTest, EachKindOfResultBecomesJson) {
  const std::string binary("\xff\x00\x01", 3);
  const std::vector<ParentOutcome> parents = {
      Succeeded("object", R"({"a": [1, 2]})"),
      Succeeded("number", "-42"),
      Succeeded("leading_zero", "007"),  // not JSON: a string
      Succeeded("text", "line\n\"quoted\"", "text/plain"),
      Succeeded("bytes", binary, "application/octet-stream"),
      Succeeded("nothing", ""),
      Succeeded("key \"with\" quotes\t", "true"),
  };
  absl::StatusOr<std::string> inputs = BuildInputs(parents, 1 << 20);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  const nlohmann::json parsed = nlohmann::json::parse(*inputs);
  const nlohmann::json& got = parsed["inputs"];
  EXPECT_EQ(got["object"], nlohmann::json::parse(R"({"a": [1, 2]})"));
  EXPECT_EQ(got["number"], -42);
  EXPECT_EQ(got["leading_zero"], "007");
  EXPECT_EQ(got["text"], "line\n\"quoted\"");
  EXPECT_EQ(got["bytes"]["base64"], "/wAB");
  EXPECT_TRUE(got["nothing"].is_null());
  EXPECT_EQ(got["key \"with\" quotes\t"], true);
  EXPECT_FALSE(parsed.contains("upstream_errors"));
}

TEST(WorkflowInputsTest, FailedParentsGoToUpstreamErrors) {
  wire::ErrorInfo error;
  error.set_type("exception");
  error.set_message("it \"broke\"");
  ParentOutcome failed;
  failed.key = "fetch";
  failed.state = wire::JOB_STATE_DEAD;
  failed.error = &error;
  const std::vector<ParentOutcome> parents = {failed, Succeeded("ok", "1")};
  absl::StatusOr<std::string> inputs = BuildInputs(parents, 1 << 20);
  ASSERT_TRUE(inputs.ok());
  const nlohmann::json parsed = nlohmann::json::parse(*inputs);
  EXPECT_EQ(parsed["inputs"], nlohmann::json::parse(R"({"ok": 1})"));
  EXPECT_EQ(parsed["upstream_errors"]["fetch"]["state"], "dead");
  EXPECT_EQ(parsed["upstream_errors"]["fetch"]["message"], "it \"broke\"");
}

TEST(WorkflowInputsTest, InputsPastTheBoundAreRefused) {
  const std::string big(100, 'x');
  const std::vector<ParentOutcome> parents = {Succeeded("a", big, "text/plain"),
                                              Succeeded("b", big, "text/plain")};
  absl::StatusOr<std::string> inputs = BuildInputs(parents, 150);
  EXPECT_EQ(inputs.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(inputs.status().message().find("--result-max"), std::string::npos);
}

TEST(WorkflowInputsTest, MergeAddsTheMembersToThePayload) {
  const std::string inputs = R"({"inputs":{"a":1}})";
  EXPECT_EQ(MergeInputs("", inputs), inputs);
  EXPECT_EQ(MergeInputs("{}", inputs), R"({"inputs":{"a":1}})");
  EXPECT_EQ(MergeInputs(" { } ", inputs), R"( { "inputs":{"a":1}} )");
  EXPECT_EQ(MergeInputs(R"({"n": {"m": 2}})", inputs), R"({"n": {"m": 2},"inputs":{"a":1}})");
  for (const char* payload : {"{}", R"({"n": {"m": 2}})", " { } "}) {
    const nlohmann::json merged = nlohmann::json::parse(MergeInputs(payload, inputs));
    EXPECT_EQ(merged["inputs"]["a"], 1) << payload;
  }
}

}  // namespace
}  // namespace jobq::broker::core
