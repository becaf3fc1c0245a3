#include "common/wake_fd.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <thread>
#include <utility>

namespace jobq {
namespace {

bool Readable(const WakeFd& wake) {
  pollfd item{wake.fd(), POLLIN, 0};
  return poll(&item, 1, 0) == 1 && (item.revents & POLLIN) != 0;
}

TEST(WakeFdTest, NotifiesCoalesceUntilDrained) {
  absl::StatusOr<WakeFd> wake = WakeFd::Create();
  ASSERT_TRUE(wake.ok()) << wake.status();
  EXPECT_FALSE(Readable(*wake));
  wake->Notify();
  wake->Notify();
  EXPECT_TRUE(Readable(*wake));
  wake->Drain();
  EXPECT_FALSE(Readable(*wake)) << "one Drain() takes every notification";
  wake->Drain();  // nothing pending: returns at once
  EXPECT_FALSE(Readable(*wake));
}

TEST(WakeFdTest, WakesAPollInAnotherThread) {
  WakeFd wake = WakeFd::CreateOrDie();
  std::thread notifier([&wake] { wake.Notify(); });
  pollfd item{wake.fd(), POLLIN, 0};
  EXPECT_EQ(poll(&item, 1, 20'000), 1);
  notifier.join();
}

TEST(WakeFdTest, AMovedFromWakeFdOwnsNothing) {
  WakeFd first = WakeFd::CreateOrDie();
  const int fd = first.fd();
  WakeFd second(std::move(first));
  EXPECT_EQ(second.fd(), fd);
  EXPECT_EQ(first.fd(), -1);  // NOLINT(bugprone-use-after-move): what is left
  second.Notify();
  EXPECT_TRUE(Readable(second));
}

}  // namespace
}  // namespace jobq
