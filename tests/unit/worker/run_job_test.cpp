#include "worker/tasks/run_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/unit/worker/job_builders.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

using ::testing::HasSubstr;
using testing::MakeJob;

class RunJobTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinTasks(registry_); }

  wire::JobResult Run(const std::string& task, const std::string& payload) {
    return RunJob(registry_, MakeJob(task, payload));
  }

  TaskRegistry registry_;
};

TEST_F(RunJobTest, NoopReturnsJsonNull) {
  wire::JobResult result = Run("noop", "");
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result.result(), "null");
  EXPECT_EQ(result.content_type(), "application/json");
}

TEST_F(RunJobTest, ResultCarriesIdAttemptAndRunTime) {
  wire::DispatchedJob job = MakeJob("noop", "{}", 7);
  job.set_attempt(3);
  wire::JobResult result = RunJob(registry_, job);
  EXPECT_EQ(result.id(), job.id());
  EXPECT_EQ(result.attempt(), 3u);
  EXPECT_GE(result.run_time_us(), 0);
}

TEST_F(RunJobTest, EchoReturnsItsArgumentsUnchanged) {
  const std::string args = R"({"list":[1,2.5,"x"],"nested":{"ok":true},"s":"hi"})";
  wire::JobResult result = Run("echo", args);
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(nlohmann::json::parse(result.result()), nlohmann::json::parse(args));
}

TEST_F(RunJobTest, EchoWithoutArgumentsReturnsEmptyObject) {
  wire::JobResult result = Run("echo", "");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.result(), "{}");
}

TEST_F(RunJobTest, EchoOfPayloadThatIsNotJsonIsBadArgs) {
  wire::JobResult result = Run("echo", "{not json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr("not valid JSON"));
}

TEST_F(RunJobTest, ANumberNoDoubleHoldsIsBadArgsNotAnException) {
  // Found by fuzzing: nlohmann reports 1e999 as out_of_range, not as a
  // parse error, and an "exception" would be retried for nothing.
  wire::JobResult result = Run("echo", R"({"n":1e999})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
}

TEST_F(RunJobTest, NonJsonContentTypeIsBadArgs) {
  wire::DispatchedJob job = MakeJob("echo", "abc");
  job.set_content_type("text/plain");
  wire::JobResult result = RunJob(registry_, job);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr("text/plain"));
}

TEST_F(RunJobTest, SleepZeroSecondsReportsWhatItSlept) {
  wire::JobResult result = Run("sleep", R"({"seconds": 0})");
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(nlohmann::json::parse(result.result()), nlohmann::json({{"slept", 0}}));
}

struct BadSleepArgs {
  const char* payload;
  const char* message_part;
};

class SleepBadArgsTest : public RunJobTest, public ::testing::WithParamInterface<BadSleepArgs> {};

TEST_P(SleepBadArgsTest, FailsWithBadArgsNamingSeconds) {
  wire::JobResult result = Run("sleep", GetParam().payload);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr("\"seconds\""));
  EXPECT_THAT(result.error().message(), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SleepBadArgsTest,
    ::testing::Values(BadSleepArgs{R"({"seconds": "abc"})",
                                   R"(sleep: argument "seconds" must be a number >= 0, got "abc")"},
                      BadSleepArgs{R"({"seconds": -1})", "must be a number >= 0, got -1"},
                      BadSleepArgs{R"({"seconds": true})", "got true"},
                      BadSleepArgs{R"({"seconds": null})", "got null"},
                      BadSleepArgs{R"({})", "is required"},
                      BadSleepArgs{R"({"seconds": 1e12})", "at most"}));

TEST_F(RunJobTest, SleepWithArgumentsThatAreNotAnObjectIsBadArgs) {
  wire::JobResult result = Run("sleep", "[1]");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr("\"seconds\""));
}

TEST_F(RunJobTest, UnknownTaskNamesItAndListsRegisteredOnes) {
  wire::JobResult result = Run("resize_image", "{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "unknown_task");
  EXPECT_THAT(result.error().message(), HasSubstr("\"resize_image\""));
  EXPECT_THAT(result.error().message(),
              HasSubstr("echo, exec, factorial, fail, http_get, noop, sleep, sum_squares"));
}

TEST_F(RunJobTest, StdExceptionTypeIsDemangledAndMessageKept) {
  ASSERT_TRUE(
      registry_
          .Register("explode", TaskKind::kIo,
                    [](TaskContext&) -> std::string { throw std::runtime_error("disk on fire"); })
          .ok());
  wire::JobResult result = Run("explode", "{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exception");
  EXPECT_EQ(result.error().exception(), "std::runtime_error");
  EXPECT_EQ(result.error().message(), "disk on fire");
}

TEST_F(RunJobTest, TaskErrorKeepsItsTypeAndMessage) {
  ASSERT_TRUE(registry_
                  .Register("picky", TaskKind::kIo,
                            [](TaskContext&) -> std::string {
                              throw TaskError("exit_status", "command exited with 3");
                            })
                  .ok());
  wire::JobResult result = Run("picky", "{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exit_status");
  EXPECT_EQ(result.error().message(), "command exited with 3");
}

TEST_F(RunJobTest, NonStdExceptionIsAnExceptionOfNoClass) {
  ASSERT_TRUE(
      registry_.Register("odd", TaskKind::kIo, [](TaskContext&) -> std::string { throw 42; }).ok());
  wire::JobResult result = Run("odd", "{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exception");
  EXPECT_EQ(result.error().exception(), "");
}

TEST_F(RunJobTest, ResultThatIsNotJsonIsBadResult) {
  ASSERT_TRUE(
      registry_
          .Register("sloppy", TaskKind::kIo, [](TaskContext&) -> std::string { return "not json"; })
          .ok());
  wire::JobResult result = Run("sloppy", "{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_result");
}

TEST_F(RunJobTest, ContextSeesJobFields) {
  TaskInput seen;
  ASSERT_TRUE(registry_
                  .Register("inspect", TaskKind::kIo,
                            [&seen](TaskContext& context) -> std::string {
                              seen.job_id = context.job_id();
                              seen.queue = context.queue();
                              seen.attempt = context.attempt();
                              seen.deadline_ms = context.deadline_ms();
                              return "null";
                            })
                  .ok());
  wire::DispatchedJob job = MakeJob("inspect", "{}", 0xab);
  job.set_attempt(2);
  job.set_timeout_ms(60'000);
  ASSERT_TRUE(RunJob(registry_, job).ok());
  EXPECT_EQ(seen.job_id, "00000000-0000-0000-0000-0000000000ab");
  EXPECT_EQ(seen.queue, "default");
  EXPECT_EQ(seen.attempt, 2u);
  EXPECT_GT(seen.deadline_ms, 0);
}

TEST_F(RunJobTest, FailWithoutTypeIsARuntimeError) {
  wire::JobResult result = Run("fail", R"({"message":"disk on fire"})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "exception");
  EXPECT_EQ(result.error().exception(), "std::runtime_error");
  EXPECT_EQ(result.error().message(), "disk on fire");
}

TEST_F(RunJobTest, FailWithTypeUsesIt) {
  wire::JobResult result = Run("fail", R"({"type":"PaymentDeclined","message":"card 42"})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "PaymentDeclined");
  EXPECT_EQ(result.error().message(), "card 42");
}

TEST_F(RunJobTest, FailWithANonStringMessageIsBadArgs) {
  wire::JobResult result = Run("fail", R"({"message":5})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(result.error().message(), HasSubstr("message"));
}

}  // namespace
}  // namespace jobq::worker
