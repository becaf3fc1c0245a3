// The workflow file of `jobq workflow submit` (producer/cli/workflow_file.h):
// good files become the spec sent, every bad one is refused with the node
// and the field named.

#include "producer/cli/workflow_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace jobq::cli::workflow_file_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr TimeMs kNow = 1'700'000'000'000;

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<WorkflowSpec> spec = ParseWorkflowFile(text, kNow);
  EXPECT_FALSE(spec.ok()) << text;
  if (spec.ok()) {
    return "";
  }
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

TEST(WorkflowFileTest, AChainWithJobOptionsBecomesTheSpec) {
  absl::StatusOr<WorkflowSpec> spec = ParseWorkflowFile(R"({
    "name": "ingest",
    "nodes": [
      {"name": "fetch", "task": "http_get", "args": {"url": "http://x/"}, "queue": "net",
       "kind": "io", "priority": 3, "timeout": 2.5, "retries": 2, "backoff": "1s"},
      {"name": "sum", "task": "checksum", "after": ["fetch"], "delay": "30s", "result_ttl": "2h"},
      {"name": "store", "task": "store", "after": ["sum"], "on_parent_failure": "run",
       "after_jobs": ["0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f"]},
      {"task": "noop"}
    ]})",
                                                        kNow);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "ingest");
  ASSERT_EQ(spec->nodes.size(), 4u);
  const WorkflowNode& fetch = spec->nodes[0];
  EXPECT_EQ(fetch.name(), "fetch");
  EXPECT_EQ(fetch.job().task(), "http_get");
  EXPECT_EQ(fetch.job().payload(), R"({"url":"http://x/"})");
  EXPECT_EQ(fetch.job().content_type(), "application/json");
  EXPECT_EQ(fetch.job().queue(), "net");
  EXPECT_EQ(fetch.job().kind(), wire::KIND_IO);
  EXPECT_EQ(fetch.job().priority(), 3);
  EXPECT_EQ(fetch.job().timeout_ms(), 2500);
  EXPECT_EQ(fetch.job().max_attempts(), 3u);
  EXPECT_EQ(fetch.job().backoff_ms(), 1000);
  EXPECT_TRUE(fetch.after().empty());

  const WorkflowNode& sum = spec->nodes[1];
  EXPECT_THAT(sum.after(), ElementsAre("fetch"));
  EXPECT_EQ(sum.job().payload(), "{}");
  EXPECT_EQ(sum.job().not_before_ms(), kNow + 30'000);
  EXPECT_EQ(sum.job().result_ttl_ms(), 2 * 3600 * 1000);

  const WorkflowNode& store = spec->nodes[2];
  EXPECT_EQ(store.job().on_parent_failure(), wire::PARENT_FAILURE_RUN);
  ASSERT_EQ(store.job().after_size(), 1);
  EXPECT_EQ(JobId::FromBytes(store.job().after(0))->ToString(),
            "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f");

  EXPECT_EQ(spec->nodes[3].name(), "") << "named by the client when submitted";
}

TEST(WorkflowFileTest, BadJsonAndBadShapesAreRefused) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("invalid JSON"));
  EXPECT_THAT(ErrorOf("{\"nodes\": [}"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ErrorOf("[1, 2]"), HasSubstr("expected a JSON object"));
  EXPECT_THAT(ErrorOf("{}"), HasSubstr("missing required field \"nodes\""));
  EXPECT_THAT(ErrorOf(R"({"nodes": {}})"), HasSubstr("field \"nodes\" must be an array"));
  EXPECT_THAT(ErrorOf(R"({"nodes": []})"), HasSubstr("at least one node"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "a"}], "nme": "x"})"),
              HasSubstr("unknown top-level field \"nme\""));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "a"}], "name": 5})"),
              HasSubstr("field \"name\" must be a string, got 5"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [42]})"), HasSubstr("nodes[0]: must be a JSON object"));
  EXPECT_THAT(ErrorOf(std::string(100'000, '[') + std::string(100'000, ']')), HasSubstr("deeper"));
}

TEST(WorkflowFileTest, ErrorsNameTheNodeAndTheField) {
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "fetch"}]})"),
            "node \"fetch\" (nodes[0]): missing required field \"task\"");
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"name": "a", "task": "t", "priority": "high"}]})"),
              HasSubstr("node \"a\" (nodes[0]): field \"priority\" must be an integer, got "
                        "\"high\""));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"name": "a", "task": "t", "tsak": "x"}]})"),
              HasSubstr("node \"a\" (nodes[0]): unknown field \"tsak\"; known fields: task"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "kind": "gpu"}]})"),
              HasSubstr("nodes[0]: field \"kind\" must be \"io\" or \"cpu\""));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "args": [1]}]})"),
              HasSubstr("field \"args\" must be a JSON object"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "key": "k"}]})"),
              HasSubstr("field \"key\" is not for workflow nodes"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "name": "a b"}]})"),
              HasSubstr("nodes[0]: field \"name\" must be 1 to 200 letters"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "name": "a", "after": "b"}]})"),
              HasSubstr("field \"after\" must be an array"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "after": [1]}]})"),
              HasSubstr("field \"after\" must hold node names"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "after_jobs": ["nope"]}]})"),
              HasSubstr("field \"after_jobs\": malformed job id 'nope'"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "on_parent_failure": "retry"}]})"),
              HasSubstr("field \"on_parent_failure\" must be \"cancel\" or \"run\""));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "result_ttl": -1}]})"),
              HasSubstr("field \"result_ttl\""));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"task": "t", "delay": "1s", "at": "2030-01-01T00:00:00Z"}]})"),
              HasSubstr("either \"delay\""));
}

TEST(WorkflowFileTest, EdgesMustNameNodesOnce) {
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"name": "a", "task": "t"}, {"name": "a", "task": "t"}]})"),
              HasSubstr("node \"a\" (nodes[1]): the name is taken by nodes[0]"));
  EXPECT_THAT(
      ErrorOf(R"({"nodes": [{"name": "a", "task": "t", "after": ["ghost"]}]})"),
      HasSubstr("node \"a\" (nodes[0]): field \"after\" names \"ghost\", which is no node"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"name": "a", "task": "t", "after": ["a"]}]})"),
              HasSubstr("names the node itself"));
  EXPECT_THAT(ErrorOf(R"({"nodes": [{"name": "a", "task": "t"},
                                     {"name": "b", "task": "t", "after": ["a", "a"]}]})"),
              HasSubstr("names \"a\" twice"));
  // A cycle is the broker's to find: the file itself is well formed.
  EXPECT_TRUE(ParseWorkflowFile(R"({"nodes": [{"name": "a", "task": "t", "after": ["b"]},
                                              {"name": "b", "task": "t", "after": ["a"]}]})",
                                kNow)
                  .ok());
}

TEST(WorkflowFileTest, EveryProblemIsReportedUpToALimit) {
  std::string text = R"({"nodes": [)";
  for (int i = 0; i < 30; ++i) {
    text += std::string(i == 0 ? "" : ",") + R"({"priority": "x"})";
  }
  text += "]}";
  const std::string error = ErrorOf(text);
  EXPECT_THAT(error, HasSubstr("nodes[0]: missing required field \"task\""));
  EXPECT_THAT(error, HasSubstr("nodes[9]: field \"priority\""));
  EXPECT_THAT(error, Not(HasSubstr("nodes[10]:")));
  EXPECT_THAT(error, HasSubstr("... and 40 more problems"));
}

}  // namespace
}  // namespace jobq::cli::workflow_file_test
