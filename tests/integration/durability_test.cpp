// The durable store with the real binaries: acknowledged jobs and kept
// results survive `kill -9` of the broker.

#include <gtest/gtest.h>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(DurabilityTest, AcknowledgedJobsSurviveKillNineOfTheBroker) {
  Cluster cluster;
  const std::string store = "sqlite:" + cluster.dir().File("jobs.db");
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);

  // One job finishes before the crash; its result must be kept.
  cluster.StartWorker("before");
  CommandResult finished = cluster.Jobq({"submit", "echo", "--arg", "when=before", "--wait"});
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  const std::string finished_id = JsonLines(finished.out).at(0)["id"];
  ASSERT_EQ(cluster.Jobq({"sentinel"}).exit_code, 0);  // the worker leaves
  ASSERT_TRUE(cluster.WaitForWorkers(0));

  // These are acknowledged with no worker to run them.
  std::string jobs;
  for (int i = 0; i < 200; ++i) {
    jobs += R"({"task":"echo","args":{"i":)" + std::to_string(i) + "}}\n";
  }
  CommandResult submitted = cluster.Jobq({"submit", "--file", "-"}, jobs);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  std::vector<std::string> ids;
  for (const nlohmann::json& line : JsonLines(submitted.out)) {
    ids.push_back(line["id"]);
  }
  ASSERT_EQ(ids.size(), 200u);

  cluster.KillBroker();
  cluster.StartBroker({"--store", store}, frontend_port, backend_port);
  nlohmann::json status = cluster.Status();
  ASSERT_FALSE(status.is_null());
  EXPECT_EQ(status["store"], store);
  EXPECT_EQ(status["durable"], true);

  cluster.StartWorker("after");
  std::vector<std::string> args = {"wait"};
  args.insert(args.end(), ids.begin(), ids.end());
  CommandResult waited = cluster.Jobq(args);
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  std::vector<nlohmann::json> lines = JsonLines(waited.out);
  ASSERT_EQ(lines.size(), ids.size());
  for (const nlohmann::json& line : lines) {
    EXPECT_EQ(line["state"], "succeeded") << line.dump();
  }

  CommandResult kept = cluster.Jobq({"wait", finished_id});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(JsonLines(kept.out).at(0)["result"]["when"], "before");
}

TEST(DurabilityTest, UnusableStorePathIsAClearError) {
  CommandResult run = RunCommand({JOBQ_BROKER_BIN, "--frontend", "tcp://127.0.0.1:*", "--backend",
                                  "tcp://127.0.0.1:*", "--admin", "127.0.0.1:0", "--store",
                                  "sqlite:/nonexistent-dir/jobs.db"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("/nonexistent-dir/jobs.db"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace jobq::testing
