// What the worker takes from its broker and its flags, at the edges: a
// DispatchedJob.timeout_ms of INT64_MAX gives a job a (year-long) deadline
// instead of an overflowed one, and --exec-output-max sets how much of a
// command's output exec keeps, in the worker and in its CPU children.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "tests/support/wait_for.h"
#include "tests/unit/worker/job_builders.h"
#include "tests/unit/worker/parse_worker_args.h"
#include "worker/child/child_command_line.h"
#include "worker/pools/io_pool.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/run_job.h"
#include "worker/worker_flags.h"

namespace jobq::worker {
namespace {

using ::jobq::testing::WaitFor;
using ::testing::HasSubstr;
using testing::MakeJob;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

const char kEchoHi[] = R"({"argv": ["echo", "hi"]})";

TEST(WorkerTimeoutLimitsTest, AnInt64MaxTimeoutRunsTheJobInsteadOfTimingItOut) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  wire::DispatchedJob job = MakeJob("exec", kEchoHi);
  job.set_timeout_ms(kInt64Max);
  const wire::JobResult result = RunJob(registry, job);
  ASSERT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
  EXPECT_EQ(nlohmann::json::parse(result.result())["stdout"], "hi\n");
}

TEST(WorkerTimeoutLimitsTest, TheIoPoolRunsAnInt64MaxTimeoutJobToItsEnd) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  std::mutex mutex;
  std::vector<wire::JobResult> results;
  {
    IoPool pool(registry, 1, 2);
    wire::DispatchedJob job = MakeJob("exec", kEchoHi);
    job.set_timeout_ms(kInt64Max);
    ASSERT_TRUE(
        pool.Submit(job, std::make_shared<CancellationToken>(), [&](wire::JobResult result) {
          std::lock_guard<std::mutex> lock(mutex);
          results.push_back(std::move(result));
        }));
    ASSERT_TRUE(WaitFor([&] {
      std::lock_guard<std::mutex> lock(mutex);
      return !results.empty();
    }));
  }
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok()) << results[0].error().type() << ": " << results[0].error().message();
}

TEST(ExecOutputMaxTest, TheRegisteredCapCutsEachStream) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, {.exec_output_max_bytes = 10});
  const wire::JobResult result = RunJob(
      registry,
      MakeJob("exec", R"({"argv": ["sh", "-c", "printf 0123456789ABCDEF; printf abc >&2"]})"));
  ASSERT_TRUE(result.ok()) << result.error().message();
  const nlohmann::json value = nlohmann::json::parse(result.result());
  EXPECT_EQ(value["stdout"], "0123456789");
  EXPECT_EQ(value["stdout_truncated"], true);
  EXPECT_EQ(value["stderr"], "abc");
  EXPECT_FALSE(value.contains("stderr_truncated"));
}

TEST(ExecOutputMaxTest, TheFlagTakesSizesFromOneByteToOneGibibyte) {
  WorkerConfig config;
  ASSERT_EQ(ParseWorkerArgs({}, &config).action, FlagsOutcome::Action::kRun);
  EXPECT_EQ(config.exec_output_max_bytes, kExecOutputMaxBytes);
  ASSERT_EQ(ParseWorkerArgs({"--exec-output-max", "64K"}, &config).action,
            FlagsOutcome::Action::kRun);
  EXPECT_EQ(config.exec_output_max_bytes, 65'536u);
  ASSERT_EQ(ParseWorkerArgs({"--exec-output-max", "1"}, &config).action,
            FlagsOutcome::Action::kRun);
  EXPECT_EQ(config.exec_output_max_bytes, 1u);
  ASSERT_EQ(ParseWorkerArgs({"--exec-output-max", "1GiB"}, &config).action,
            FlagsOutcome::Action::kRun);
  EXPECT_EQ(config.exec_output_max_bytes, kExecOutputMaxBytesLimit);
  for (const char* bad : {"0", "1073741825", "2G", "lots", "-1"}) {
    const FlagsOutcome outcome = ParseWorkerArgs({"--exec-output-max", bad}, &config);
    EXPECT_EQ(outcome.action, FlagsOutcome::Action::kUsageError) << bad;
    EXPECT_THAT(outcome.text, HasSubstr("--exec-output-max")) << bad;
  }
}

TEST(ExecOutputMaxTest, ChildrenAreToldTheCap) {
  child::ChildOptions sent;
  sent.exec_output_max_bytes = 4096;
  const std::vector<std::string> args = child::ChildArguments(sent);
  std::vector<const char*> argv = {"jobq-worker"};
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  child::ChildOptions received;
  const child::ChildParse parse =
      child::ParseChildCommandLine(static_cast<int>(argv.size()), argv.data(), &received);
  ASSERT_TRUE(parse.ok) << parse.error;
  EXPECT_EQ(received.exec_output_max_bytes, 4096u);

  const char* zero[] = {"jobq-worker", "--child", "--exec-output-max", "0"};
  EXPECT_THAT(child::ParseChildCommandLine(4, zero, &received).error,
              HasSubstr("--exec-output-max"));
}

TEST(WorkerFlagValuesTest, AnEmptyValueIsRefusedNamingTheFlag) {
  for (const char* flag : {"--io-threads", "--prefetch", "--drain-grace", "--exec-output-max",
                           "--broker", "--log-level"}) {
    WorkerConfig config;
    const FlagsOutcome outcome = ParseWorkerArgs({flag, ""}, &config);
    EXPECT_EQ(outcome.action, FlagsOutcome::Action::kUsageError) << flag;
    EXPECT_THAT(outcome.text, HasSubstr(std::string(flag) + ": needs a value")) << flag;
  }
}

}  // namespace
}  // namespace jobq::worker
