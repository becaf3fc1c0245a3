// LeaseKeeper on real threads with renewals the test controls: the lease is
// reported lost when another epoch leads, and when no renewal succeeds by
// the deadline even while one is stuck (a database cut off by the network).

#include "broker/leader/lease_keeper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>

#include "tests/support/wait_for.h"

namespace jobq::broker::leader {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// What `lost` reported, once.
struct LostRecord {
  std::mutex mutex;
  int calls = 0;
  std::string why;

  LeaseKeeper::Lost Callback() {
    return [this](absl::Status status) {
      std::lock_guard lock(mutex);
      ++calls;
      why = std::string(status.message());
    };
  }
  int Calls() {
    std::lock_guard lock(mutex);
    return calls;
  }
};

TEST(LeaseKeeperTest, ARenewalThatFindsAnotherEpochLosesTheLease) {
  LostRecord lost;
  std::atomic<int> renewals = 0;
  {
    LeaseKeeper keeper(
        [&renewals]() -> absl::StatusOr<bool> {
          ++renewals;
          return false;
        },
        milliseconds(3000), Steady::now(), lost.Callback());
    ASSERT_TRUE(testing::WaitFor([&] { return lost.Calls() > 0; }));
  }
  EXPECT_EQ(lost.Calls(), 1);
  EXPECT_EQ(renewals.load(), 1) << "a deposed keeper renews no more";
  EXPECT_NE(lost.why.find("another broker took over"), std::string::npos) << lost.why;
}

TEST(LeaseKeeperTest, RenewalsThatKeepFailingLoseTheLeaseAtItsDeadline) {
  LostRecord lost;
  std::atomic<int> renewals = 0;
  {
    LeaseKeeper keeper(
        [&renewals]() -> absl::StatusOr<bool> {
          ++renewals;
          return absl::UnavailableError("connection refused");
        },
        milliseconds(600), Steady::now(), lost.Callback());
    ASSERT_TRUE(testing::WaitFor([&] { return lost.Calls() > 0; }));
  }
  EXPECT_EQ(lost.Calls(), 1);
  EXPECT_NE(lost.why.find("could not be renewed"), std::string::npos) << lost.why;
}

TEST(LeaseKeeperTest, ARenewalStuckInTheNetworkDoesNotHoldBackTheDeadline) {
  LostRecord lost;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> renewals = 0;
  {
    LeaseKeeper keeper(
        [&renewals, released]() -> absl::StatusOr<bool> {
          ++renewals;
          released.wait();  // a TCP connection to a host that is gone
          return true;
        },
        milliseconds(600), Steady::now(), lost.Callback());
    ASSERT_TRUE(testing::WaitFor([&] { return lost.Calls() > 0; }));
    EXPECT_EQ(renewals.load(), 1);
    release.set_value();  // lets the keeper's destructor join its renewer
  }
  EXPECT_EQ(lost.Calls(), 1);
  EXPECT_NE(lost.why.find("could not be renewed"), std::string::npos) << lost.why;
}

TEST(LeaseKeeperTest, SuccessfulRenewalsKeepTheLease) {
  LostRecord lost;
  std::atomic<int> renewals = 0;
  {
    // Long enough that a loaded machine's scheduling delays cannot make a
    // renewal late: renewed every second, lost only after 2.4 s without one.
    LeaseKeeper keeper(
        [&renewals]() -> absl::StatusOr<bool> {
          ++renewals;
          return true;
        },
        milliseconds(3000), Steady::now(), lost.Callback());
    ASSERT_TRUE(testing::WaitFor([&] { return renewals.load() >= 3; }));
    EXPECT_EQ(lost.Calls(), 0) << lost.why;
  }
  EXPECT_EQ(lost.Calls(), 0) << "stopping the keeper is not losing the lease";
}

}  // namespace
}  // namespace jobq::broker::leader
