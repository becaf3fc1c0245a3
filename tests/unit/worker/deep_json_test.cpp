// The worker and JSON nested deeper than kJsonDepthMax (issue 14): a payload
// that deep fails its job as bad_args, a result that deep as bad_result,
// and neither recurses per level (an echo of 100,000 arrays used to
// overflow the stack and kill the worker).

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/json_depth.h"
#include "tests/unit/worker/job_builders.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/run_job.h"
#include "worker/tasks/task_context.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

using testing::MakeJob;

std::string Arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// The payload of issue 14: `{"d":` + 100,000 arrays + `}`, 195 KB.
std::string ReportedPayload() { return "{\"d\":" + Arrays(100'000) + "}"; }

TaskInput EchoInput(std::string payload) {
  TaskInput input;
  input.task = "echo";
  input.payload = std::move(payload);
  return input;
}

TEST(TaskContextDepthTest, ArgumentsTooDeepThrowBadArgsNamingTheBound) {
  CancellationToken cancel;
  TaskContext context(EchoInput(ReportedPayload()), cancel);
  try {
    context.Args();
    FAIL() << "no error";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.type(), kErrorBadArgs);
    EXPECT_STREQ(e.what(), "echo: arguments are nested deeper than 512 levels");
  }
}

TEST(TaskContextDepthTest, ArgumentsAtTheBoundParse) {
  CancellationToken cancel;
  const std::string payload = "{\"d\":" + Arrays(kJsonDepthMax - 1) + "}";
  TaskContext context(EchoInput(payload), cancel);
  EXPECT_EQ(context.Args().dump(), payload);
}

class DeepJsonRunJobTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinTasks(registry_); }

  TaskRegistry registry_;
};

TEST_F(DeepJsonRunJobTest, EchoOfTheReportedPayloadFailsAsBadArgs) {
  wire::JobResult result = RunJob(registry_, MakeJob("echo", ReportedPayload()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_EQ(result.error().message(), "echo: arguments are nested deeper than 512 levels");
}

TEST_F(DeepJsonRunJobTest, EchoAtTheBoundSucceeds) {
  const std::string payload = "{\"d\":" + Arrays(kJsonDepthMax - 1) + "}";
  wire::JobResult result = RunJob(registry_, MakeJob("echo", payload));
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result.result(), payload);
}

TEST_F(DeepJsonRunJobTest, AResultTooDeepFailsAsBadResult) {
  ASSERT_TRUE(registry_
                  .Register("deep", TaskKind::kIo,
                            [](TaskContext&) -> std::string { return Arrays(100'000); })
                  .ok());
  wire::JobResult result = RunJob(registry_, MakeJob("deep", "{}"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_result");
  EXPECT_EQ(result.error().message(),
            "task \"deep\" returned a result nested deeper than 512 levels");
}

}  // namespace
}  // namespace jobq::worker
