// A broker whose --batch-max is below the client's batch (1,000 jobs): the
// client learns the limit from the broker's refusal, sends the refused jobs
// again in smaller SUBMITs, and every job is created and run once.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

TEST(BatchLimitTest, SubmitFileUnderASmallBatchMaxRunsEveryJobOnce) {
  Cluster cluster;
  cluster.StartBroker({"--batch-max", "100"});
  cluster.StartWorker("w1");
  constexpr int kJobs = 1000;
  std::string input;
  for (int i = 0; i < kJobs; ++i) {
    input += "{\"task\":\"echo\",\"args\":{\"i\":" + std::to_string(i) + "}}\n";
  }
  CommandResult run = cluster.Jobq({"submit", "--file", "-", "--wait"}, input);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  std::set<int> finished;
  for (const nlohmann::json& line : JsonLines(run.out)) {
    ASSERT_EQ(line["state"], "succeeded") << line.dump();
    EXPECT_TRUE(finished.insert(line["result"]["i"].get<int>()).second) << line.dump();
  }
  EXPECT_EQ(finished.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(*finished.begin(), 0);
  EXPECT_EQ(*finished.rbegin(), kJobs - 1);
  // Created once each, whatever was sent twice.
  EXPECT_EQ(cluster.AllJobs().size(), static_cast<size_t>(kJobs));
  // The jobs come far faster than the first SUBMIT's ack, so a batch over
  // the limit went out and was refused: the path under test was taken.
  EXPECT_GE(StatusCounter(cluster.Status(), "rejected"), 1u);
}

}  // namespace
}  // namespace jobq::testing
