// The broker's bounds, end to end: a producer over a limit gets an answer
// that names it, and what was accepted before is kept.

#include <gtest/gtest.h>

#include <string>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(LimitsTest, AFullQueueAnswersQueueFullAndKeepsWhatItTook) {
  Cluster cluster;
  cluster.StartBroker({"--queue-max", "2"});
  const std::string jobs = "{\"task\":\"noop\"}\n{\"task\":\"noop\"}\n{\"task\":\"noop\"}\n";
  CommandResult run = cluster.Jobq({"submit", "--file", "-"}, jobs);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(run.Says("queue_full")) << run.out << run.err;
  EXPECT_TRUE(run.Says("retry later")) << run.out << run.err;
  EXPECT_TRUE(run.Says("(--queue-max)")) << run.out << run.err;
  EXPECT_TRUE(cluster.WaitForQueued("default", 2));

  // Another queue still takes jobs: the bound is per queue.
  CommandResult other = cluster.Jobq({"submit", "noop", "-q", "other"});
  EXPECT_EQ(other.exit_code, 0) << other.err;
}

TEST(LimitsTest, APayloadOverTheLimitIsRejectedAndTheNextJobIsNot) {
  Cluster cluster;
  cluster.StartBroker({"--payload-max", "1K"});
  cluster.StartWorker("w1");
  const std::string big(2000, 'x');
  const std::string jobs = "{\"task\":\"echo\",\"args\":{\"s\":\"" + big +
                           "\"}}\n{\"task\":\"echo\",\"args\":{\"s\":\"small\"}}\n";
  CommandResult run = cluster.Jobq({"submit", "--file", "-", "--wait"}, jobs);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(run.Says("the limit is 1024 (--payload-max)")) << run.out << run.err;
  EXPECT_TRUE(run.Says("\"small\"")) << "the second job ran: " << run.out << run.err;
}

TEST(LimitsTest, AResultOverTheLimitFailsItsJobOnceWithoutRetries) {
  Cluster cluster;
  cluster.StartBroker({"--result-max", "1K", "--retries", "3", "--backoff", "10ms"});
  cluster.StartWorker("w1");
  const std::string big(2000, 'x');
  CommandResult run = cluster.Jobq({"submit", "echo", "--arg", "s=" + big, "--wait"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["state"], "failed");
  EXPECT_EQ(lines[0]["attempts"], 1);
  EXPECT_EQ(lines[0]["error"]["type"], "result_too_large");
  EXPECT_NE(lines[0]["error"]["message"].get<std::string>().find("--result-max"),
            std::string::npos);
}

TEST(LimitsTest, LimitsThatDoNotFitTogetherStopTheBrokerAtStart) {
  CommandResult run = RunCommand(
      {JOBQ_BROKER_BIN, "--store", "memory", "--message-max", "1M", "--payload-max", "1M"}, "",
      std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--message-max"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace jobq::testing
