// The CLI and JSON nested deeper than kJsonDepthMax (issue 14): input is
// refused with a message naming the bound, results are printed as strings,
// and nothing recurses per level (these inputs used to overflow the stack).

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "common/json_depth.h"
#include "producer/cli/admin_tables.h"
#include "producer/cli/job_args.h"
#include "producer/cli/job_lines.h"
#include "producer/cli/output_lines.h"
#include "producer/cli/submit_command.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A job line whose args hold arrays `depth` deep: the line nests depth + 2.
std::string EchoLine(int depth) { return R"({"task":"echo","args":{"d":)" + Arrays(depth) + "}}"; }

bool PayloadWithinBound(const std::string& payload) {
  nlohmann::json value;
  return ParseJsonBounded(payload, &value).ok();
}

TEST(DeepJsonLinesTest, ALineNestedTooDeepIsInvalidNamingTheBound) {
  for (int depth : {kJsonDepthMax - 1, 50'000}) {
    absl::StatusOr<std::optional<wire::JobSpec>> job = ParseJobLine(EchoLine(depth));
    ASSERT_FALSE(job.ok());
    EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(job.status().message(), "JSON nested deeper than 512 levels");
  }
}

TEST(DeepJsonLinesTest, ALineAtTheBoundIsAJobTheWorkerTakes) {
  absl::StatusOr<std::optional<wire::JobSpec>> job = ParseJobLine(EchoLine(kJsonDepthMax - 2));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(job->has_value());
  EXPECT_TRUE(PayloadWithinBound((*job)->payload()));
}

TEST(DeepJsonLinesTest, TheReaderAndTheCheckNameTheLine) {
  const std::string text = "{\"task\":\"noop\"}\n" + EchoLine(50'000) + "\n{\"task\":\"noop\"}\n";
  std::istringstream read(text);
  JobLineReader reader(read);
  ASSERT_TRUE(reader.Next().ok());
  absl::StatusOr<std::optional<wire::JobSpec>> second = reader.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "line 2: JSON nested deeper than 512 levels");

  std::istringstream check_input(text);
  const JobLinesCheck check = CheckJobLines(check_input, /*max_errors=*/5);
  EXPECT_EQ(check.jobs, 2u);
  EXPECT_EQ(check.invalid_lines, 1u);
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_EQ(check.errors[0], "line 2: JSON nested deeper than 512 levels");
}

TEST(DeepJsonArgsTest, DeepJsonFlagIsRefusedNamingTheBound) {
  const std::string deep = "{\"d\":" + Arrays(100'000) + "}";
  absl::StatusOr<Json> object = BuildArgsObject(deep, {});
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(object.status().message(), "--json: JSON nested deeper than 512 levels");
}

TEST(DeepJsonArgsTest, DeepArgIsRefusedNotTakenAsAString) {
  for (int depth : {kJsonDepthMax, 100'000}) {
    absl::StatusOr<std::pair<std::string, Json>> arg = ParseArgAssignment("k=" + Arrays(depth));
    ASSERT_FALSE(arg.ok()) << depth;
    EXPECT_EQ(arg.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(arg.status().message(),
              "--arg k: JSON nested deeper than 512 levels (with the arguments object)");
  }
}

TEST(DeepJsonArgsTest, ArgsAtTheBoundMakeAPayloadTheWorkerTakes) {
  absl::StatusOr<Json> object = BuildArgsObject("{\"d\":" + Arrays(kJsonDepthMax - 1) + "}",
                                                {"k=" + Arrays(kJsonDepthMax - 1)});
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_TRUE(PayloadWithinBound(object->dump()));
}

TEST(DeepJsonArgsTest, SubmitFlagsWithADeepArgAreAUsageError) {
  SubmitFlags flags;
  flags.task = "echo";
  flags.args = {"k=" + Arrays(50'000)};
  absl::StatusOr<wire::JobSpec> spec = JobSpecFromFlags(flags);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeepJsonResultsTest, ADeepResultIsPrintedAsAString) {
  Outcome outcome;
  outcome.state = wire::JOB_STATE_SUCCEEDED;
  outcome.attempts = 1;
  outcome.result = Arrays(100'000);
  EXPECT_EQ(ResultToJson(outcome), Json(outcome.result));
  const std::string line = FormatOutcomeLine(outcome);
  EXPECT_NE(line.find("\"result\":\"[[[["), std::string::npos) << line.substr(0, 200);

  outcome.result = Arrays(kJsonDepthMax);
  EXPECT_TRUE(ResultToJson(outcome).is_array()) << "at the bound it is still JSON";
}

TEST(DeepJsonResultsTest, JobDetailShowsADeepResultAsAString) {
  admin::JobInfo job;
  job.set_state(wire::JOB_STATE_SUCCEEDED);
  job.set_content_type("application/json");
  job.set_result(Arrays(100'000));
  Json detail = Json::parse(FormatJobDetailJson(job));
  EXPECT_EQ(detail["result"], Json(job.result()));
}

}  // namespace
}  // namespace jobq::cli
