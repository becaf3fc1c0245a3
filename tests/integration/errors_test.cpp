// What a user sees when things go wrong: failing tasks, unknown tasks, bad
// arguments, an unreachable broker.

#include <gtest/gtest.h>

#include <chrono>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(ErrorsTest, ExceptionTypeAndMessageReachTheProducer) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  CommandResult run = cluster.Jobq({"submit", "fail", "--arg", "message=disk on fire", "--wait"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["state"], "failed");
  EXPECT_EQ(lines[0]["error"]["type"], "exception");
  EXPECT_EQ(lines[0]["error"]["exception"], "std::runtime_error");
  EXPECT_EQ(lines[0]["error"]["message"], "disk on fire");
}

TEST(ErrorsTest, TaskChosenErrorTypeReachesTheProducer) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  CommandResult run = cluster.Jobq(
      {"submit", "fail", "--arg", "type=PaymentDeclined", "--arg", "message=card 42", "--wait"});
  EXPECT_EQ(run.exit_code, 1);
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["error"]["type"], "PaymentDeclined");
  EXPECT_EQ(lines[0]["error"]["message"], "card 42");
}

TEST(ErrorsTest, UnknownTaskIsAClearError) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  CommandResult run = cluster.Jobq({"submit", "no_such_task", "--wait"});
  EXPECT_EQ(run.exit_code, 1);
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["state"], "failed");
  EXPECT_EQ(lines[0]["error"]["type"], "unknown_task");
  const std::string message = lines[0]["error"]["message"];
  EXPECT_NE(message.find("no_such_task"), std::string::npos) << message;
  EXPECT_NE(message.find("echo"), std::string::npos) << "lists the registered tasks: " << message;
}

TEST(ErrorsTest, BadArgumentsNameTheArgument) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  CommandResult run = cluster.Jobq({"submit", "sleep", "--arg", "seconds=abc", "--wait"});
  EXPECT_EQ(run.exit_code, 1);
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["error"]["type"], "bad_args");
  EXPECT_NE(lines[0]["error"]["message"].get<std::string>().find("seconds"), std::string::npos);
}

TEST(ErrorsTest, UnreachableBrokerIsReportedQuickly) {
  const std::string nowhere = "tcp://127.0.0.1:" + std::to_string(FreeTcpPort());
  // Never a hang: a CLI still waiting at the deadline is killed, exit code -1.
  CommandResult run = RunCommand({JOBQ_CLI_BIN, "submit", "noop", "--broker", nowhere}, "",
                                 std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(nowhere), std::string::npos) << "names the address: " << run.err;
}

TEST(ErrorsTest, UnreachableAdminIsReported) {
  const std::string nowhere = "127.0.0.1:" + std::to_string(FreeTcpPort());
  CommandResult run =
      RunCommand({JOBQ_CLI_BIN, "status", "--admin", nowhere}, "", std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(nowhere), std::string::npos) << run.err;
}

TEST(ErrorsTest, BadCommandLinesExitTwoAndSayWhy) {
  CommandResult no_task = RunCommand({JOBQ_CLI_BIN, "submit"});
  EXPECT_EQ(no_task.exit_code, 2);
  EXPECT_FALSE(no_task.err.empty());

  CommandResult bad_arg = RunCommand({JOBQ_CLI_BIN, "submit", "echo", "--arg", "no-equals"});
  EXPECT_EQ(bad_arg.exit_code, 2);
  EXPECT_NE(bad_arg.err.find("no-equals"), std::string::npos) << bad_arg.err;

  CommandResult bad_id = RunCommand({JOBQ_CLI_BIN, "wait", "not-an-id"});
  EXPECT_EQ(bad_id.exit_code, 2);
  EXPECT_NE(bad_id.err.find("not-an-id"), std::string::npos) << bad_id.err;

  CommandResult bad_worker_flag = RunCommand({JOBQ_WORKER_BIN, "--io-threads", "0"});
  EXPECT_EQ(bad_worker_flag.exit_code, 2);
  CommandResult bad_broker_flag = RunCommand({JOBQ_BROKER_BIN, "--store", "nonsense"});
  EXPECT_EQ(bad_broker_flag.exit_code, 2);
  EXPECT_NE(bad_broker_flag.err.find("nonsense"), std::string::npos);
}

TEST(ErrorsTest, BadJobFileNamesTheLineAndSubmitsNothing) {
  Cluster cluster;
  cluster.StartBroker();
  CommandResult run =
      cluster.Jobq({"submit", "--file", "-"}, "{\"task\":\"noop\"}\n{\"args\":{}}\n");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("2"), std::string::npos) << "names line 2: " << run.err;
  nlohmann::json status = cluster.Status();
  ASSERT_FALSE(status.is_null());
  EXPECT_EQ(status["counters"].value("submitted", std::string("0")), "0");
}

}  // namespace
}  // namespace jobq::testing
