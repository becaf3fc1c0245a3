// Rate limits and concurrency caps with the real binaries (issue 17, item
// 3): a queue limited to 20/s with three workers runs 200 jobs at that rate,
// judged by the broker's own dispatch times (each job's started_ms from
// `jobq jobs --json`), never by this test's clock; a cap holds across
// workers (the broker's started and finished times never overlap more); a
// limit survives kill -9 of the broker; bad `jobq limit` arguments change
// nothing and exit 2.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

std::string NoopLines(int count, const std::string& task = "noop") {
  std::string lines;
  for (int i = 0; i < count; ++i) {
    lines += "{\"task\": \"" + task + "\"}\n";
  }
  return lines;
}

std::vector<nlohmann::json> Limits(Cluster& cluster) {
  CommandResult listed = cluster.Jobq({"limits", "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  return JsonLines(listed.out);
}

TEST(RateLimitsTest, AQueueLimitedTo20PerSecondWithThreeWorkersRunsAtThatRate) {
  constexpr int kJobs = 200;
  constexpr int64_t kRatePerSecond = 20;
  constexpr int64_t kBurst = 10;
  Cluster cluster;
  cluster.StartBroker();
  CommandResult limited = cluster.Jobq(
      {"limit", "default", "--rate", "20/s", "--burst", std::to_string(kBurst), "--json"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  ASSERT_EQ(JsonLines(limited.out).at(0)["rate"], "20/s");
  for (const std::string name : {"w1", "w2", "w3"}) {
    cluster.StartWorker(name);
  }
  ASSERT_TRUE(cluster.WaitForWorkers(3));

  CommandResult run = cluster.Jobq({"submit", "--file", "-", "--wait"}, NoopLines(kJobs));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(JsonLines(run.out).size(), static_cast<size_t>(kJobs));

  std::vector<int64_t> started;
  for (const nlohmann::json& job : cluster.AllJobs("succeeded")) {
    started.push_back(job.at("started_ms").get<int64_t>());
  }
  ASSERT_EQ(started.size(), static_cast<size_t>(kJobs));
  std::sort(started.begin(), started.end());
  // In every window [started[i], started[j]] the broker dispatched at most
  // burst + rate x its length: the token bucket's bound, on its own clock.
  for (size_t i = 0; i < started.size(); ++i) {
    for (size_t j = i; j < started.size(); ++j) {
      const int64_t window_ms = started[j] - started[i];
      const int64_t allowed = kBurst + kRatePerSecond * window_ms / 1000;
      ASSERT_LE(static_cast<int64_t>(j - i + 1), allowed)
          << (j - i + 1) << " dispatches within " << window_ms << " ms";
    }
  }
  // Hence the whole run took at least (jobs - burst) / rate on that clock.
  EXPECT_GE(started.back() - started.front(), (kJobs - kBurst) * 1000 / kRatePerSecond);
}

TEST(RateLimitsTest, AConcurrencyCapHoldsAcrossWorkers) {
  constexpr int kJobs = 12;
  Cluster cluster;
  cluster.StartBroker();
  ASSERT_EQ(cluster.Jobq({"limit", "default", "--concurrency", "2"}).exit_code, 0);
  for (const std::string name : {"w1", "w2", "w3"}) {
    cluster.StartWorker(name);
  }
  ASSERT_TRUE(cluster.WaitForWorkers(3));
  std::string lines;
  for (int i = 0; i < kJobs; ++i) {
    lines += "{\"task\": \"sleep\", \"args\": {\"seconds\": 0.1}}\n";
  }
  CommandResult run = cluster.Jobq({"submit", "--file", "-", "--wait"}, lines);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // Running intervals by the broker's clock: started at dispatch, finished
  // when the result came in. A job's slot is free only once its result is
  // in, so at no instant do more than 2 intervals overlap.
  std::vector<std::pair<int64_t, int>> events;
  for (const nlohmann::json& job : cluster.AllJobs("succeeded")) {
    events.push_back({job.at("started_ms").get<int64_t>(), +1});
    events.push_back({job.at("finished_ms").get<int64_t>(), -1});
  }
  ASSERT_EQ(events.size(), 2u * kJobs);
  // At equal times the end comes first: a slot freed and taken in one step.
  std::sort(events.begin(), events.end());
  int running = 0;
  int most = 0;
  for (const auto& [at_ms, delta] : events) {
    running += delta;
    most = std::max(most, running);
  }
  EXPECT_LE(most, 2);
}

TEST(RateLimitsTest, LimitsSurviveKillNineOfTheBroker) {
  Cluster cluster;
  const int frontend_port = FreeTcpPort();
  const int backend_port = FreeTcpPort();
  cluster.StartBroker({}, frontend_port, backend_port);
  ASSERT_EQ(cluster.Jobq({"limit", "emails", "--rate", "6000/min", "--concurrency", "5"}).exit_code,
            0);
  ASSERT_EQ(cluster.Jobq({"limit", "emails", "--task", "pdf", "--concurrency", "1"}).exit_code, 0);
  ASSERT_EQ(cluster.Jobq({"limit", "gone", "--concurrency", "1"}).exit_code, 0);
  ASSERT_EQ(cluster.Jobq({"limit", "gone", "--clear"}).exit_code, 0);
  const std::vector<nlohmann::json> before = Limits(cluster);
  ASSERT_EQ(before.size(), 2u);

  cluster.KillBroker();
  cluster.StartBroker({}, frontend_port, backend_port);
  const std::vector<nlohmann::json> after = Limits(cluster);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0]["queue"], "emails");
  EXPECT_EQ(after[0]["rate"], "100/s") << "6000/min is 100/s, shown in its shortest unit";
  EXPECT_EQ(after[0]["burst"], 100);
  EXPECT_EQ(after[0]["concurrency"], 5);
  EXPECT_EQ(after[1]["task"], "pdf");
  EXPECT_EQ(after[1]["concurrency"], 1);
  CommandResult table = cluster.Jobq({"limits"});
  EXPECT_TRUE(table.Says("emails")) << table.out;
  EXPECT_TRUE(table.Says("100/s")) << table.out;
}

TEST(RateLimitsTest, BadLimitArgumentsExitTwoAndChangeNothing) {
  Cluster cluster;
  cluster.StartBroker();
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"limit", "q", "--rate", "0/s"}, "use jobq pause"},
      {{"limit", "q", "--rate", "abc"}, "--rate"},
      {{"limit", "q", "--rate", "10/day"}, "--rate"},
      {{"limit", "q", "--rate", "-5/s"}, "--rate"},
      {{"limit", "q", "--rate", "10/s", "--burst=-3"}, "negative"},
      {{"limit", "q", "--rate", "10/s", "--burst", "0"}, "--burst"},
      {{"limit", "q", "--burst", "5"}, "give --rate with it"},
      {{"limit", "q", "--concurrency", "0"}, "--concurrency"},
      {{"limit", "q", "--concurrency", "many"}, "--concurrency"},
      {{"limit", "q"}, "give --rate"},
      {{"limit", "q", "--rate", "10/s", "--clear"}, "--clear"},
  };
  for (const auto& [args, says] : bad) {
    CommandResult run = cluster.Jobq(args);
    EXPECT_EQ(run.exit_code, 2) << args.back() << ": " << run.out << run.err;
    EXPECT_TRUE(run.Says(says)) << args.back() << ": " << run.err;
  }
  EXPECT_TRUE(Limits(cluster).empty()) << "nothing half-created";

  CommandResult clear = cluster.Jobq({"limit", "q", "--clear"});
  EXPECT_EQ(clear.exit_code, 1) << "no such limit: the broker refused";
  EXPECT_TRUE(clear.Says("no limit on queue q")) << clear.err;
}

}  // namespace
}  // namespace jobq::testing
