// A broker restarted under its workers. (Workers and children killed
// mid-job: crash_test.cpp.)

#include <gtest/gtest.h>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(FailoverTest, WorkersReconnectToARestartedBroker) {
  Cluster cluster;
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({}, frontend_port, backend_port);
  Process& worker = cluster.StartWorker("loyal");
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  cluster.KillBroker();
  cluster.StartBroker({}, frontend_port, backend_port);
  ASSERT_TRUE(cluster.WaitForWorkers(1)) << "the worker never came back";
  EXPECT_TRUE(worker.Running());

  CommandResult run = cluster.Jobq({"submit", "echo", "--arg", "after=restart", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["result"]["after"], "restart");
}

TEST(FailoverTest, WorkerStopsCleanlyOnSigterm) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("polite");
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  worker.Signal(SIGTERM);
  std::optional<int> exit_code = worker.WaitExit(std::chrono::seconds(20));
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0);
  EXPECT_TRUE(cluster.WaitForWorkers(0)) << "BYE removed it at once";
}

}  // namespace
}  // namespace jobq::testing
