// Bad input with the real binaries (issue 14 item 7), one test per
// reproduction: each must end in a clear error naming what was wrong, with
// nothing submitted, and leave the broker and the worker running and
// serving the next job.
//   - an --arg value that is not UTF-8;
//   - --priority, --timeout and --backoff given an empty value;
//   - exec output past jobq-worker --exec-output-max, and that flag out of
//     range;
//   - jobq submit --file given a directory;
//   - jobq job of a finished job: its expiry is in the future, not "0s".
// Waits poll a condition with a deadline; nothing asserts on timing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kExitUsage = 2;
constexpr std::chrono::seconds kCommandTimeout(30);

// A broker and one worker, registered, for each test.
class BadInputTest : public ::testing::Test {
 protected:
  void StartCluster(std::vector<std::string> worker_args = {}) {
    cluster_.StartBroker();
    worker_ = &cluster_.StartWorker("w1", std::move(worker_args));
    ASSERT_TRUE(cluster_.WaitForWorkers(1)) << worker_->Stderr();
  }

  CommandResult Jobq(std::vector<std::string> args) {
    return cluster_.Jobq(std::move(args), "", kCommandTimeout);
  }

  // The bad input harmed no process: both still run, and the next job
  // goes through them.
  void ExpectClusterServes() {
    EXPECT_TRUE(cluster_.broker().Running()) << cluster_.broker().Stderr();
    EXPECT_TRUE(worker_->Running()) << worker_->Stderr();
    CommandResult next = Jobq({"submit", "echo", "--arg", "n=1", "--wait"});
    EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
    const std::vector<nlohmann::json> outcomes = JsonLines(next.out);
    ASSERT_EQ(outcomes.size(), 1u) << next.out << next.err;
    EXPECT_EQ(outcomes[0].value("state", std::string()), "succeeded") << next.out;
    EXPECT_EQ(outcomes[0]["result"], (nlohmann::json{{"n", 1}})) << next.out;
  }

  Cluster cluster_;
  Process* worker_ = nullptr;
};

TEST_F(BadInputTest, AnArgValueThatIsNotUtf8IsRefusedAndNothingIsSubmitted) {
  StartCluster();
  CommandResult run = Jobq({"submit", "echo", "--arg", "s=\xff"});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr("--arg")) << run.err;
  EXPECT_THAT(run.err, HasSubstr("not UTF-8")) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(cluster_.AllJobs().empty()) << "a refused --arg reached the broker";

  ExpectClusterServes();
  EXPECT_EQ(cluster_.AllJobs().size(), 1u) << "only the follow-up job";
}

TEST_F(BadInputTest, AnEmptyPriorityTimeoutOrBackoffIsRefusedByName) {
  StartCluster();
  for (const char* flag : {"--priority", "--timeout", "--backoff"}) {
    CommandResult run = Jobq({"submit", "echo", "--arg", "n=1", flag, ""});
    EXPECT_EQ(run.exit_code, kExitUsage) << flag << ": " << run.out << run.err;
    EXPECT_THAT(run.err, HasSubstr(std::string(flag) + ": needs a value")) << run.err;
    EXPECT_EQ(run.out, "") << flag;
  }
  EXPECT_TRUE(cluster_.AllJobs().empty()) << "a flag with an empty value reached the broker";

  ExpectClusterServes();
  EXPECT_EQ(cluster_.AllJobs().size(), 1u) << "only the follow-up job";
}

TEST_F(BadInputTest, ExecOutputPastTheWorkersCapIsCutAndMarkedTruncated) {
  StartCluster({"--exec-output-max", "16"});
  CommandResult run =
      Jobq({"submit", "exec", "--json",
            R"({"argv":["/bin/sh","-c","printf 0123456789abcdefghijkl"]})", "--wait"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::vector<nlohmann::json> outcomes = JsonLines(run.out);
  ASSERT_EQ(outcomes.size(), 1u) << run.out << run.err;
  EXPECT_EQ(outcomes[0].value("state", std::string()), "succeeded") << run.out;
  const nlohmann::json& result = outcomes[0]["result"];
  ASSERT_TRUE(result.is_object()) << run.out;
  EXPECT_EQ(result.value("exit_code", -1), 0) << run.out;
  EXPECT_EQ(result.value("stdout", std::string()), "0123456789abcdef") << run.out;
  EXPECT_EQ(result.value("stdout_truncated", false), true) << run.out;
  EXPECT_FALSE(result.contains("stderr_truncated")) << run.out;

  ExpectClusterServes();
}

TEST_F(BadInputTest, AnExecOutputCapOutOfRangeStopsTheWorkerAtStartNamingTheFlag) {
  // Run directly: a worker that refuses its flags must exit, not wait for
  // a broker, so no cluster is needed for it to fail.
  for (const char* size : {"0", "2G"}) {
    CommandResult run =
        RunCommand({JOBQ_WORKER_BIN, "--broker", "tcp://127.0.0.1:1", "--exec-output-max", size},
                   "", kCommandTimeout);
    EXPECT_EQ(run.exit_code, kExitUsage) << size << ": " << run.out << run.err;
    EXPECT_THAT(run.err, HasSubstr("--exec-output-max must be a size from 1 to")) << run.err;
    EXPECT_THAT(run.err, HasSubstr("got \"" + std::string(size) + "\"")) << run.err;
  }
}

TEST_F(BadInputTest, SubmitFileGivenADirectorySaysSoAndSubmitsNothing) {
  StartCluster();
  const std::string directory = cluster_.dir().File("jobs.d");
  std::filesystem::create_directory(directory);
  CommandResult run = Jobq({"submit", "--file", directory});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr(directory + " is a directory")) << run.err;
  // What the copy of an unreadable input once blamed instead.
  EXPECT_THAT(run.err, Not(HasSubstr("disk"))) << run.err;
  EXPECT_THAT(run.err, Not(HasSubstr("No space"))) << run.err;
  EXPECT_TRUE(cluster_.AllJobs().empty()) << "a directory's jobs reached the broker";

  ExpectClusterServes();
}

// The line of `jobq job ID`'s table that starts with `field`; empty if none.
std::string DetailLine(const std::string& table, const std::string& field) {
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + " ")) {
      return line;
    }
  }
  return "";
}

TEST_F(BadInputTest, AFinishedJobsExpiryIsADayFromNowNotZero) {
  StartCluster();
  CommandResult run = Jobq({"submit", "echo", "--arg", "n=1", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::vector<nlohmann::json> outcomes = JsonLines(run.out);
  ASSERT_EQ(outcomes.size(), 1u) << run.out;
  const std::string id = outcomes[0].value("id", std::string());

  CommandResult shown = Jobq({"job", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  const std::string expires = DetailLine(shown.out, "expires");
  ASSERT_FALSE(expires.empty()) << shown.out;
  EXPECT_THAT(expires, HasSubstr(" from now)")) << expires;
  EXPECT_THAT(expires, Not(HasSubstr("(0s "))) << expires;
  // The default --result-ttl of 24h, less the moments since it finished.
  EXPECT_TRUE(expires.find("(23h ") != std::string::npos ||
              expires.find("(1d 00h 00m ") != std::string::npos)
      << expires;

  ExpectClusterServes();
}

}  // namespace
}  // namespace jobq::testing
