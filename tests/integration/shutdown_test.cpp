// Sentinel-based shutdown at the three levels of DESIGN §5: a queue's
// sentinel, a worker's SIGTERM (drain, then stop now), the broker's
// Shutdown(drain|now).

#include <gtest/gtest.h>

#include <csignal>

#include "tests/support/cluster.h"
#include "tests/support/gate_record.h"

namespace jobq::testing {
namespace {

std::vector<std::string> Ids(const CommandResult& submitted) {
  std::vector<std::string> ids;
  for (const nlohmann::json& line : JsonLines(submitted.out)) {
    ids.push_back(line["id"].get<std::string>());
  }
  return ids;
}

void ExpectAllSucceeded(Cluster& cluster, const std::vector<std::string>& ids) {
  std::vector<std::string> args = {"wait"};
  args.insert(args.end(), ids.begin(), ids.end());
  CommandResult waited = cluster.Jobq(args);
  ASSERT_EQ(waited.exit_code, 0) << waited.out << waited.err;
  std::vector<nlohmann::json> lines = JsonLines(waited.out);
  ASSERT_EQ(lines.size(), ids.size());
  for (const nlohmann::json& line : lines) {
    EXPECT_EQ(line["state"], "succeeded") << line.dump();
  }
}

TEST(ShutdownTest, SentinelStopsTheWorkersAfterTheJobsBeforeIt) {
  Cluster cluster;
  cluster.StartBroker();
  Process& first = cluster.StartWorker("first", {"--io-threads", "2"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));

  std::string before_jobs;
  for (int i = 0; i < 6; ++i) {
    before_jobs += R"({"task":"sleep","args":{"seconds":0.05}})"
                   "\n";
  }
  CommandResult before = cluster.Jobq({"submit", "--file", "-"}, before_jobs);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  CommandResult sentinel = cluster.Jobq({"sentinel"});
  ASSERT_EQ(sentinel.exit_code, 0) << sentinel.err;
  EXPECT_EQ(JsonLines(sentinel.out).at(0)["sentinel"], "default");
  CommandResult after =
      cluster.Jobq({"submit", "--file", "-"}, "{\"task\":\"echo\"}\n{\"task\":\"echo\"}\n");
  ASSERT_EQ(after.exit_code, 0) << after.err;

  std::optional<int> exit_code = first.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code.has_value()) << "the worker did not stop at the sentinel";
  EXPECT_EQ(*exit_code, 0);
  ExpectAllSucceeded(cluster, Ids(before));
  EXPECT_TRUE(cluster.WaitForQueued("default", 2))
      << "the jobs behind the sentinel wait for the next workers";

  cluster.StartWorker("next");
  ExpectAllSucceeded(cluster, Ids(after));
}

TEST(ShutdownTest, SubmitWithSentinelEndsTheQueueBehindThatJob) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("only", {"--queues", "batch"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult run =
      cluster.Jobq({"submit", "echo", "-q", "batch", "--arg", "last=true", "--sentinel", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::optional<int> exit_code = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0);
}

// The job in flight holds its worker until the test opens its gate, which
// it does only once the SIGTERM is sent and the broker lists the worker as
// draining: the job can succeed only if the draining worker waits for it
// and then reports it. The grace is long so that a slow run cannot turn the
// drain into a hand-back.
TEST(ShutdownTest, SigtermDrainsTheJobInFlight) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker =
      cluster.StartWorker("draining", {"--plugin", JOBQ_TEST_TASKS_PLUGIN, "--io-threads", "1",
                                       "--cpu-procs", "0", "--drain-grace", "600"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  const std::string gate = cluster.dir().File("gate");
  const std::string record = cluster.dir().File("executions");
  const nlohmann::json args = {{"gate", gate}, {"record", record}};
  Process producer({JOBQ_CLI_BIN, "--broker", cluster.frontend(), "submit", "gate", "--json",
                    args.dump(), "--wait"},
                   cluster.dir().File("producer"));
  ASSERT_TRUE(WaitFor([&] { return !ReadExecutions(record).empty(); }))
      << "the job never started: " << producer.Stderr();
  ASSERT_TRUE(cluster.WaitForOneWorkerHolding(1));

  worker.Signal(SIGTERM);
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json status = cluster.Status();
    return !status.is_null() && status["workers"].size() == 1 &&
           status["workers"][0]["state"] == "draining";
  })) << "the broker never learned that the worker drains";
  ASSERT_TRUE(worker.Running()) << "the worker left without its job";
  ASSERT_TRUE(producer.Running()) << "the job ended with its gate closed: " << producer.Stdout();

  WriteFile(gate, "open");
  std::optional<int> worker_exit = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(worker_exit.has_value()) << "the worker did not stop once its job was done";
  EXPECT_EQ(*worker_exit, 0);
  std::optional<int> producer_exit = producer.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(producer_exit.has_value());
  EXPECT_EQ(*producer_exit, 0) << producer.Stderr();
  std::vector<nlohmann::json> lines = JsonLines(producer.Stdout());
  ASSERT_EQ(lines.size(), 1u) << producer.Stdout();
  EXPECT_EQ(lines[0]["state"], "succeeded") << lines[0].dump();
  EXPECT_EQ(lines[0]["attempts"], 1) << "finished by the draining worker itself";
  EXPECT_EQ(lines[0]["result"]["pid"], worker.pid()) << lines[0].dump();
  EXPECT_EQ(ReadExecutions(record).size(), 1u) << ReadFile(record);
}

TEST(ShutdownTest, SecondSigtermHandsTheJobBack) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("impatient", {"--io-threads", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  Process producer({JOBQ_CLI_BIN, "--broker", cluster.frontend(), "submit", "sleep", "--arg",
                    "seconds=60", "--wait"},
                   cluster.dir().File("producer"));
  ASSERT_TRUE(cluster.WaitForOneWorkerHolding(1));

  worker.Signal(SIGTERM);
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json status = cluster.Status();
    return !status.is_null() && status["workers"].size() == 1 &&
           status["workers"][0]["state"] == "draining";
  })) << "the broker learns the worker drains";
  worker.Signal(SIGTERM);
  std::optional<int> worker_exit = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(worker_exit.has_value());
  EXPECT_EQ(*worker_exit, 0);

  // Handed back at once (BYE): queued again for the next worker.
  EXPECT_TRUE(cluster.WaitForQueued("default", 1));
  producer.Kill();
}

TEST(ShutdownTest, DrainPastItsGraceHandsTheJobBack) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("slow", {"--io-threads", "1", "--drain-grace", "0.5"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult submitted = cluster.Jobq({"submit", "sleep", "--arg", "seconds=60"});
  ASSERT_EQ(submitted.exit_code, 0);
  ASSERT_TRUE(cluster.WaitForOneWorkerHolding(1));
  worker.Signal(SIGTERM);
  std::optional<int> worker_exit = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(worker_exit.has_value());
  EXPECT_EQ(*worker_exit, 0);
  EXPECT_TRUE(cluster.WaitForQueued("default", 1)) << "the unfinished job is queued again";
}

TEST(ShutdownTest, BrokerShutdownDrainsWorkersThenExits) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("w1");
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult shutdown = cluster.Jobq({"shutdown"});
  ASSERT_EQ(shutdown.exit_code, 0) << shutdown.err;
  EXPECT_NE(shutdown.out.find("sentinel"), std::string::npos) << shutdown.out;
  std::optional<int> worker_exit = worker.WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(worker_exit.has_value());
  EXPECT_EQ(*worker_exit, 0);
  std::optional<int> broker_exit = cluster.broker().WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(broker_exit.has_value());
  EXPECT_EQ(*broker_exit, 0);
}

TEST(ShutdownTest, BrokerShutdownNowLeavesWorkersWaitingForTheNextBroker) {
  Cluster cluster;
  cluster.StartBroker();
  Process& worker = cluster.StartWorker("w1");
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  CommandResult shutdown = cluster.Jobq({"shutdown", "--now"});
  ASSERT_EQ(shutdown.exit_code, 0) << shutdown.err;
  std::optional<int> broker_exit = cluster.broker().WaitExit(std::chrono::seconds(30));
  ASSERT_TRUE(broker_exit.has_value());
  EXPECT_EQ(*broker_exit, 0);
  EXPECT_TRUE(worker.Running());
}

TEST(ShutdownTest, SubmitDuringShutdownIsRefusedClearly) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("busy", {"--io-threads", "1"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  // A long job keeps the worker, and so the broker, draining.
  CommandResult long_job = cluster.Jobq({"submit", "sleep", "--arg", "seconds=60"});
  ASSERT_EQ(long_job.exit_code, 0);
  ASSERT_EQ(cluster.Jobq({"shutdown"}).exit_code, 0);
  CommandResult refused = cluster.Jobq({"submit", "noop"});
  EXPECT_EQ(refused.exit_code, 1);
  std::vector<nlohmann::json> lines = JsonLines(refused.out);
  ASSERT_EQ(lines.size(), 1u) << refused.out << refused.err;
  EXPECT_EQ(lines[0]["error"]["type"], "shutting_down");
}

}  // namespace
}  // namespace jobq::testing
