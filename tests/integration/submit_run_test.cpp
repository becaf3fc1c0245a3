// A job end to end over real sockets: jobq CLI -> jobq-broker -> jobq-worker
// -> back to the CLI.

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(SubmitRunTest, OneJobWithWait) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  CommandResult run = cluster.Jobq({"submit", "echo", "--arg", "n=5", "--arg", "s=abc", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["state"], "succeeded");
  EXPECT_EQ(lines[0]["attempts"], 1);
  EXPECT_EQ(lines[0]["result"], (nlohmann::json{{"n", 5}, {"s", "abc"}}));
  EXPECT_EQ(lines[0]["id"].get<std::string>().size(), 36u);
}

TEST(SubmitRunTest, SubmitWithoutWaitThenWaitById) {
  Cluster cluster;
  cluster.StartBroker();
  CommandResult submitted = cluster.Jobq({"submit", "echo", "--json", R"({"k":[1,2]})"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  std::vector<nlohmann::json> lines = JsonLines(submitted.out);
  ASSERT_EQ(lines.size(), 1u);
  const std::string id = lines[0]["id"];

  cluster.StartWorker("w1");  // the job waited in the queue for a worker
  CommandResult waited = cluster.Jobq({"wait", id});
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  lines = JsonLines(waited.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["id"], id);
  EXPECT_EQ(lines[0]["result"], (nlohmann::json{{"k", {1, 2}}}));
}

TEST(SubmitRunTest, ManyJobsAcrossTwoWorkersFromAFile) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1", {"--io-threads", "2"});
  cluster.StartWorker("w2", {"--io-threads", "2"});
  ASSERT_TRUE(cluster.WaitForWorkers(2));

  constexpr int kJobs = 500;
  std::ostringstream file;
  for (int i = 0; i < kJobs; ++i) {
    // A short sleep keeps both workers busy, so both take part.
    file << R"({"task": "echo", "args": {"i": )" << i << "}}\n";
    if (i % 50 == 0) {
      file << R"({"task": "sleep", "args": {"seconds": 0.05}})"
           << "\n";
    }
  }
  WriteFile(cluster.dir().File("jobs.jsonl"), file.str());
  CommandResult run =
      cluster.Jobq({"submit", "--file", cluster.dir().File("jobs.jsonl"), "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::vector<nlohmann::json> lines = JsonLines(run.out);
  std::set<int> echoed;
  std::set<std::string> ids;
  for (const nlohmann::json& line : lines) {
    ASSERT_EQ(line["state"], "succeeded") << line.dump();
    ids.insert(line["id"].get<std::string>());
    if (line["result"].is_object() && line["result"].contains("i")) {
      echoed.insert(line["result"]["i"].get<int>());
    }
  }
  EXPECT_EQ(echoed.size(), static_cast<size_t>(kJobs)) << "every echo came back with its own args";
  EXPECT_EQ(ids.size(), lines.size()) << "each job reported once";

  // The status is a snapshot the broker refreshes a few times a second.
  nlohmann::json status;
  auto done_by = [](const nlohmann::json& worker) {
    return std::stoull(worker.value("jobs_done", std::string("0")));
  };
  ASSERT_TRUE(WaitFor([&] {
    status = cluster.Status();
    if (status.is_null()) {
      return false;
    }
    uint64_t done_total = 0;
    for (const nlohmann::json& worker : status["workers"]) {
      done_total += done_by(worker);
    }
    return done_total == lines.size();
  })) << "the workers' counts add up to the jobs run: "
      << status.dump();
  for (const nlohmann::json& worker : status["workers"]) {
    EXPECT_GT(done_by(worker), 0u) << "worker " << worker["name"] << " ran nothing";
  }
}

TEST(SubmitRunTest, TenThousandNoopJobsFromStdin) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  std::string jobs;
  for (int i = 0; i < 10'000; ++i) {
    jobs += "{\"task\":\"noop\"}\n";
  }
  CommandResult run = cluster.Jobq({"submit", "--file", "-", "--wait"}, jobs);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 10'000u);
  size_t succeeded = 0;
  for (const nlohmann::json& line : lines) {
    succeeded += line["state"] == "succeeded" ? 1 : 0;
  }
  EXPECT_EQ(succeeded, 10'000u);
}

TEST(SubmitRunTest, StatusShowsQueuesAndWorkers) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("watched", {"--queues", "alpha,beta", "--io-threads", "3"});
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  nlohmann::json status = cluster.Status();
  // The durable store is the default, in the broker's data directory.
  EXPECT_EQ(status["store"], "sqlite:" + cluster.dir().File("data") + "/jobq.db");
  EXPECT_EQ(status["durable"], true);
  const nlohmann::json& worker = status["workers"][0];
  EXPECT_EQ(worker["name"], "watched");
  EXPECT_EQ(worker["queues"], (nlohmann::json{"alpha", "beta"}));
  EXPECT_EQ(worker["pools"][0]["capacity"], 3);

  CommandResult table = cluster.Jobq({"status"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("watched"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace jobq::testing
