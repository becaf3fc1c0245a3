// LoadPlugin: the example plugin (examples/plugin) loaded and run, and each
// way a plugin can be refused. The libraries' paths come from the build
// (compile definitions); this binary is built with ENABLE_EXPORTS, as
// jobq-worker is, so plugins find the worker's code in it.

#include "worker/tasks/plugin_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/worker/job_builders.h"
#include "worker/tasks/builtin_tasks.h"
#include "worker/tasks/run_job.h"

namespace jobq::worker {
namespace {

using ::testing::HasSubstr;
using testing::MakeJob;

constexpr char kExamplePlugin[] = JOBQ_EXAMPLE_PLUGIN_PATH;

class PluginLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinTasks(registry_); }

  nlohmann::json RunOk(const std::string& task, const std::string& payload) {
    wire::JobResult result = RunJob(registry_, MakeJob(task, payload));
    EXPECT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
    return result.ok() ? nlohmann::json::parse(result.result()) : nlohmann::json();
  }

  TaskRegistry registry_;
};

TEST_F(PluginLoaderTest, LoadsTheExamplePluginAndRunsBothTasks) {
  ASSERT_TRUE(LoadPlugin(kExamplePlugin, &registry_).ok());
  ASSERT_NE(registry_.Find("word_count"), nullptr);
  ASSERT_NE(registry_.Find("primes_below"), nullptr);
  EXPECT_EQ(registry_.Find("word_count")->kind, TaskKind::kIo);
  EXPECT_EQ(registry_.Find("primes_below")->kind, TaskKind::kCpu);

  EXPECT_EQ(RunOk("word_count", R"({"text": "hello  world\nbye\n"})"),
            nlohmann::json({{"lines", 2}, {"words", 3}, {"bytes", 17}}));
  EXPECT_EQ(RunOk("word_count", R"({"text": ""})"),
            nlohmann::json({{"lines", 0}, {"words", 0}, {"bytes", 0}}));
  EXPECT_EQ(RunOk("primes_below", R"({"n": 100})"), nlohmann::json({{"n", 100}, {"count", 25}}));
  EXPECT_EQ(RunOk("primes_below", R"({"n": 2})")["count"], 0);
  EXPECT_EQ(RunOk("primes_below", R"({"n": 3})")["count"], 1);
  EXPECT_EQ(RunOk("primes_below", R"({"n": 1000000})")["count"], 78498);
}

TEST_F(PluginLoaderTest, PluginTasksGetTheSameBadArgsErrors) {
  ASSERT_TRUE(LoadPlugin(kExamplePlugin, &registry_).ok());
  wire::JobResult result = RunJob(registry_, MakeJob("primes_below", R"({"n": -5})"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "bad_args");
  EXPECT_THAT(
      result.error().message(),
      HasSubstr(R"(primes_below: argument "n" must be an integer from 0 to 100000000, got -5)"));
  result = RunJob(registry_, MakeJob("word_count", R"({"text": 7})"));
  EXPECT_EQ(result.error().type(), "bad_args");
}

TEST_F(PluginLoaderTest, LoadingTheSamePluginTwiceIsANameClash) {
  ASSERT_TRUE(LoadPlugin(kExamplePlugin, &registry_).ok());
  absl::Status status = LoadPlugin(kExamplePlugin, &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr(kExamplePlugin));
  EXPECT_THAT(status.message(), HasSubstr("is already registered"));
  // The first load still works.
  EXPECT_EQ(RunOk("primes_below", R"({"n": 10})")["count"], 4);
}

TEST_F(PluginLoaderTest, AClashAddsNoneOfThePluginsTasks) {
  absl::Status status = LoadPlugin(JOBQ_CLASHING_PLUGIN_PATH, &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr(JOBQ_CLASHING_PLUGIN_PATH));
  EXPECT_THAT(status.message(), HasSubstr("task \"echo\" is already registered"));
  EXPECT_EQ(registry_.Find("clash_only"), nullptr);
  // The built-in is untouched.
  EXPECT_EQ(RunOk("echo", R"({"a": 1})"), nlohmann::json({{"a", 1}}));
}

TEST_F(PluginLoaderTest, AMissingFileIsNotFoundNamingThePath) {
  const std::string path = ::testing::TempDir() + "/jobq-no-such-plugin.so";
  absl::Status status = LoadPlugin(path, &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("plugin " + path + ": no such file"));
}

TEST_F(PluginLoaderTest, ABareNameFoundNowhereIsNotFound) {
  absl::Status status = LoadPlugin("libjobq-no-such-plugin.so", &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("plugin libjobq-no-such-plugin.so: "));
}

TEST_F(PluginLoaderTest, AFileThatIsNotASharedLibraryIsInvalidArgument) {
  const std::string path = ::testing::TempDir() + "/jobq-not-elf.so";
  std::ofstream(path) << "this is text, not ELF\n";
  absl::Status status = LoadPlugin(path, &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("plugin " + path + ": cannot load it as a shared library"));
}

TEST_F(PluginLoaderTest, ADirectoryIsInvalidArgument) {
  absl::Status status = LoadPlugin(::testing::TempDir(), &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a regular file"));
}

TEST_F(PluginLoaderTest, ALibraryWithoutTheRegistrationFunctionIsRefused) {
  absl::Status status = LoadPlugin(JOBQ_NOT_A_PLUGIN_PATH, &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(JOBQ_NOT_A_PLUGIN_PATH));
  EXPECT_THAT(status.message(), HasSubstr("no function jobq_register_tasks_v1"));
}

TEST_F(PluginLoaderTest, AFailedRegistrationReportsThePluginsErrorNamingThePath) {
  absl::Status status = LoadPlugin(JOBQ_FAILING_PLUGIN_PATH, &registry_);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr(JOBQ_FAILING_PLUGIN_PATH));
  EXPECT_THAT(status.message(),
              HasSubstr("registration failed: the licence file /etc/example.lic is missing"));
}

}  // namespace
}  // namespace jobq::worker
