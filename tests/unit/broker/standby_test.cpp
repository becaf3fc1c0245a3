// A standby's parts without a database: the wait for the lease, the admin
// answers of a standby, and the leader's endpoints as the store keeps them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/leader/leader_endpoints.h"
#include "broker/leader/standby_control.h"
#include "broker/leader/standby_wait.h"
#include "common/wake_fd.h"

namespace jobq::broker::leader {
namespace {

using std::chrono::milliseconds;

TEST(StandbyWaitTest, TriesUntilItTakesTheLeaseAndPublishesWhoLeadsMeanwhile) {
  int tries = 0;
  LeaseOps ops;
  ops.try_acquire = [&tries]() -> absl::StatusOr<std::optional<int64_t>> {
    ++tries;
    if (tries == 1) {
      return absl::UnavailableError("connection refused");
    }
    if (tries < 4) {
      return std::nullopt;
    }
    return 8;
  };
  ops.read = []() -> absl::StatusOr<LeaderView> {
    return LeaderView{7, "broker-a", R"({"frontend":"tcp://a:5555"})", false};
  };
  std::vector<std::string> published;
  const WakeFd wake = WakeFd::CreateOrDie();
  std::optional<int64_t> epoch = WaitForLeadership(
      ops, milliseconds(1), wake, [] { return false; },
      [&published](const absl::StatusOr<LeaderView>& view) {
        published.push_back(view.ok() ? view->holder : "error");
      });
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(*epoch, 8);
  EXPECT_EQ(tries, 4);
  EXPECT_EQ(published, (std::vector<std::string>{"broker-a", "broker-a", "broker-a"}));
}

TEST(StandbyWaitTest, AStopEndsTheWaitWithoutTakingTheLease) {
  int tries = 0;
  LeaseOps ops;
  ops.try_acquire = [&tries]() -> absl::StatusOr<std::optional<int64_t>> {
    ++tries;
    return std::nullopt;
  };
  ops.read = []() -> absl::StatusOr<LeaderView> { return LeaderView{}; };
  const WakeFd wake = WakeFd::CreateOrDie();
  bool stopped = false;
  std::optional<int64_t> epoch = WaitForLeadership(
      ops, milliseconds(1), wake, [&stopped] { return stopped; },
      [&stopped, &tries](const absl::StatusOr<LeaderView>&) { stopped = tries == 3; });
  EXPECT_FALSE(epoch.has_value());
  EXPECT_EQ(tries, 3);
}

std::shared_ptr<::jobq::admin::GetStatusResponse> StandbyStatus(const std::string& leader) {
  auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
  status->mutable_leadership()->set_role("standby");
  status->mutable_leadership()->set_name("broker-b");
  status->mutable_leadership()->set_leader(leader);
  status->mutable_leadership()->set_leader_admin("10.0.0.1:50051");
  return status;
}

TEST(StandbyControlTest, RefusesJobCallsNamingTheLeaderToAsk) {
  admin::StatusBoard board;
  board.Publish(StandbyStatus("broker-a"));
  StandbyControl control(&board, [] {});
  absl::Status refused;
  control.ListJobs({}, [&refused](absl::StatusOr<::jobq::admin::ListJobsResponse> answer) {
    refused = answer.status();
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(),
            "this broker (broker-b) is a standby: the leader is broker-a (admin 10.0.0.1:50051): "
            "ask it instead");

  board.Publish(StandbyStatus(""));
  control.PauseSchedule({}, true, [&refused](absl::StatusOr<::jobq::admin::ScheduleInfo> answer) {
    refused = answer.status();
  });
  EXPECT_NE(refused.message().find("no broker leads right now"), std::string::npos)
      << refused.message();
}

TEST(StandbyControlTest, AnswersStatusFromTheBoardAndStopsOnShutdown) {
  admin::StatusBoard board;
  bool stopped = false;
  StandbyControl control(&board, [&stopped] { stopped = true; });
  absl::Status before_any;
  control.FetchStatus([&before_any](auto answer) { before_any = answer.status(); });
  EXPECT_EQ(before_any.code(), absl::StatusCode::kUnavailable);

  board.Publish(StandbyStatus("broker-a"));
  std::string leader;
  control.FetchStatus([&leader](auto answer) {
    ASSERT_TRUE(answer.ok());
    leader = (*answer)->leadership().leader();
  });
  EXPECT_EQ(leader, "broker-a");

  std::optional<uint32_t> draining;
  control.Shutdown(/*drain=*/true, [&draining](absl::StatusOr<uint32_t> answer) {
    draining = answer.value_or(99);
  });
  EXPECT_TRUE(stopped);
  EXPECT_EQ(draining, 0u);
}

TEST(LeaderEndpointsTest, RoundTripsAndReadsDamagedTextAsEmpty) {
  const LeaderEndpoints endpoints = {"tcp://a:5555", "tcp://a:5556", "a:50051"};
  const LeaderEndpoints decoded = DecodeEndpoints(EncodeEndpoints(endpoints));
  EXPECT_EQ(decoded.frontend, endpoints.frontend);
  EXPECT_EQ(decoded.backend, endpoints.backend);
  EXPECT_EQ(decoded.admin, endpoints.admin);

  for (const std::string& text : {std::string(""), std::string("not json"), std::string("[1,2]"),
                                  std::string(R"({"frontend": 5})"), std::string(100'000, '[')}) {
    const LeaderEndpoints damaged = DecodeEndpoints(text);
    EXPECT_EQ(damaged.frontend, "") << text.substr(0, 20);
    EXPECT_EQ(damaged.admin, "") << text.substr(0, 20);
  }
  EXPECT_EQ(DecodeEndpoints(R"({"admin":"b:1","extra":{"x":1}})").admin, "b:1");
}

}  // namespace
}  // namespace jobq::broker::leader
