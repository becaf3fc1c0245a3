// The worker's two pools with the real binaries: CPU jobs in child
// processes, crashes and timeouts contained, the reference's workloads as
// built-in tasks, and plugins.

#include <gtest/gtest.h>

#include <set>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

nlohmann::json RunOne(Cluster& cluster, std::vector<std::string> args, int expected_exit) {
  args.insert(args.begin(), "submit");
  args.push_back("--wait");
  CommandResult run = cluster.Jobq(args);
  EXPECT_EQ(run.exit_code, expected_exit) << run.out << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  EXPECT_EQ(lines.size(), 1u) << run.out << run.err;
  return lines.empty() ? nlohmann::json() : lines[0];
}

class PoolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartBroker();
    cluster_.StartWorker("pools", {"--io-threads", "4", "--cpu-procs", "2", "--plugin",
                                   JOBQ_TEST_TASKS_PLUGIN, "--plugin", JOBQ_EXAMPLE_PLUGIN});
    ASSERT_TRUE(cluster_.WaitForWorkers(1));
  }
  Cluster cluster_;
};

TEST_F(PoolsTest, SumSquaresIsExactOnTheCpuPool) {
  nlohmann::json line = RunOne(cluster_, {"sum_squares", "--arg", "n=2000000"}, 0);
  EXPECT_EQ(line["state"], "succeeded");
  // (n-1) n (2n-1) / 6 for n = 2,000,000
  EXPECT_EQ(line["result"]["sum"], "2666664666667000000");
}

TEST_F(PoolsTest, FactorialIsExact) {
  nlohmann::json line = RunOne(cluster_, {"factorial", "--arg", "n=25"}, 0);
  EXPECT_EQ(line["result"]["value"], "15511210043330985984000000");
}

TEST_F(PoolsTest, BadArgumentsNameTheArgument) {
  nlohmann::json line = RunOne(cluster_, {"sum_squares", "--arg", "n=-3"}, 1);
  EXPECT_EQ(line["error"]["type"], "bad_args");
  EXPECT_NE(line["error"]["message"].get<std::string>().find("n"), std::string::npos);
  line = RunOne(cluster_, {"factorial"}, 1);
  EXPECT_EQ(line["error"]["type"], "bad_args");
}

TEST_F(PoolsTest, ACrashingChildFailsOnlyItsJob) {
  nlohmann::json crashed = RunOne(cluster_, {"crash", "--kind", "cpu", "--arg", "how=segv"}, 1);
  EXPECT_EQ(crashed["error"]["type"], "crashed");
  EXPECT_NE(crashed["error"]["message"].get<std::string>().find("11"), std::string::npos)
      << "names the signal: " << crashed.dump();
  nlohmann::json aborted = RunOne(cluster_, {"crash", "--kind", "cpu", "--arg", "how=abort"}, 1);
  EXPECT_EQ(aborted["error"]["type"], "crashed");

  nlohmann::json after = RunOne(cluster_, {"sum_squares", "--arg", "n=10"}, 0);
  EXPECT_EQ(after["result"]["sum"], "285") << "a fresh child took over";
  EXPECT_TRUE(cluster_.WaitForWorkers(1)) << "the worker itself survived";
}

TEST_F(PoolsTest, CpuTimeoutKillsTheChild) {
  nlohmann::json line = RunOne(cluster_, {"spin", "--kind", "cpu", "--timeout", "0.5"}, 1);
  EXPECT_EQ(line["error"]["type"], "timeout");
  nlohmann::json after = RunOne(cluster_, {"factorial", "--arg", "n=5"}, 0);
  EXPECT_EQ(after["result"]["value"], "120");
}

TEST_F(PoolsTest, IoTimeoutIsReported) {
  nlohmann::json line = RunOne(cluster_, {"sleep", "--arg", "seconds=30", "--timeout", "0.5"}, 1);
  EXPECT_EQ(line["error"]["type"], "timeout");
}

TEST_F(PoolsTest, ExecCapturesOutputAndExitStatus) {
  nlohmann::json ok = RunOne(cluster_, {"exec", "--json", R"({"argv":["echo","hello"]})"}, 0);
  EXPECT_EQ(ok["result"]["exit_code"], 0);
  EXPECT_EQ(ok["result"]["stdout"], "hello\n");
  nlohmann::json failed = RunOne(cluster_, {"exec", "--json", R"({"argv":["false"]})"}, 1);
  EXPECT_EQ(failed["error"]["type"], "exit_status");
}

TEST_F(PoolsTest, ExamplePluginTasksRun) {
  nlohmann::json io = RunOne(cluster_, {"word_count", "--arg", "text=to be or not to be"}, 0);
  EXPECT_EQ(io["state"], "succeeded") << io.dump();
  nlohmann::json cpu = RunOne(cluster_, {"primes_below", "--arg", "n=100"}, 0);
  EXPECT_EQ(cpu["state"], "succeeded") << cpu.dump();
}

TEST_F(PoolsTest, StatusShowsBothPools) {
  nlohmann::json status = cluster_.Status();
  ASSERT_FALSE(status.is_null());
  std::set<std::string> kinds;
  for (const nlohmann::json& pool : status["workers"][0]["pools"]) {
    kinds.insert(pool["kind"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"io", "cpu"}));
  EXPECT_TRUE(WaitFor([&] {
    nlohmann::json later = cluster_.Status();
    return !later.is_null() && later["workers"][0]["rss_bytes"] != "0";
  })) << "heartbeats report the worker's memory";
}

}  // namespace
}  // namespace jobq::testing
