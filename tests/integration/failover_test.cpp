// Processes dying: a worker killed mid-job, a broker restarted under its
// workers.

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(FailoverTest, JobOfAWorkerKilledMidJobCompletesOnAnother) {
  Cluster cluster;
  cluster.StartBroker({"--heartbeat-ms", "200"});
  Process& doomed = cluster.StartWorker("doomed", {"--io-threads", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  // The producer waits in the background while the job's worker dies.
  std::unique_ptr<Process> producer = std::make_unique<Process>(
      std::vector<std::string>{JOBQ_CLI_BIN, "--broker", cluster.frontend(), "submit", "sleep",
                               "--arg", "seconds=1", "--wait"},
      cluster.dir().File("producer"));
  ASSERT_TRUE(cluster.WaitForOneWorkerHolding(1)) << "the job never started on the first worker";

  cluster.StartWorker("survivor", {"--io-threads", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(2));
  doomed.Kill();

  std::optional<int> exit_code = producer->WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code.has_value()) << "the producer never got its result";
  EXPECT_EQ(*exit_code, 0) << producer->Stderr();
  std::vector<nlohmann::json> lines = JsonLines(producer->Stdout());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["state"], "succeeded");
  EXPECT_EQ(lines[0]["attempts"], 2) << "ran a second time, on the survivor";
}

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
