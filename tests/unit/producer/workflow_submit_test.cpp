// `jobq workflow submit` in process, against a port nothing listens on:
// bad files and flags are usage errors before anything is sent, and an
// unreachable broker is a connection error, both exit 2 with the reason
// (the runs against a real broker are in workflow_client_test).

#include "producer/cli/workflow_submit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "producer/cli/cli.h"
#include "producer/cli/exit_code.h"

namespace jobq::cli::workflow_submit_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::pair<int, std::string> RunOffline(std::vector<std::string> args) {
  args.insert(args.begin(), {"jobq", "workflow", "submit"});
  args.insert(args.end(), {"--broker", "tcp://127.0.0.1:1", "--connect-timeout", "0.2"});
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  ::testing::internal::CaptureStderr();
  const int exit_code = RunCli(static_cast<int>(argv.size()), argv.data());
  return {exit_code, ::testing::internal::GetCapturedStderr()};
}

std::string WriteTemp(const std::string& text) {
  std::string path = ::testing::TempDir() + "workflow_submit_test.json";
  std::FILE* file = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), file);
  std::fclose(file);
  return path;
}

TEST(WorkflowSubmitCommandTest, ABadFileIsAUsageErrorNamingTheFileNodeAndField) {
  const std::string path = WriteTemp(R"({"nodes": [{"name": "a", "task": "t", "retries": -1}]})");
  auto [code, err] = RunOffline({path});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr(path + ": node \"a\" (nodes[0]): field \"retries\" must be"));
  EXPECT_THAT(err, HasSubstr("nothing was submitted"));
  EXPECT_THAT(err, Not(HasSubstr("cannot reach"))) << "checked before connecting";
}

TEST(WorkflowSubmitCommandTest, AMissingFileOrFlagIsAUsageError) {
  auto [code, err] = RunOffline({"/nonexistent/flow.json"});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot open /nonexistent/flow.json"));

  std::tie(code, err) = RunOffline({"--wait"});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("file is required"));
}

TEST(WorkflowSubmitCommandTest, AnUnreachableBrokerIsAConnectionError) {
  auto [code, err] = RunOffline({WriteTemp(R"({"nodes": [{"task": "noop"}]})")});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot reach the broker at tcp://127.0.0.1:1"));
}

}  // namespace
}  // namespace jobq::cli::workflow_submit_test
