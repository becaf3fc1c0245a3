// A broker that accepts every connection and closes it before answering,
// as one at its --connections-max does: the client must give up after
// connect_timeout_ms with an error that says so, not reconnect forever.
// The broker is a raw ZMTP listener on an ipc:// endpoint in the test's
// own directory, so each connection completes its handshake (the client
// counts it as connected) and is then closed. The client's timeout runs on
// a ManualClock: the test moves it once the client has seen a connection
// cut, rather than wait for a real timer.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "common/clock.h"
#include "producer/client/client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"
#include "tests/support/zmtp_null.h"

namespace jobq {
namespace {

using ::jobq::testing::WaitFor;
using ::testing::HasSubstr;

// Only turns a hang into a failure.
constexpr std::chrono::seconds kTestDeadline{30};

class ClosingBroker {
 public:
  explicit ClosingBroker(const std::string& path)
      : listener_(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ = bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
             listen(listener_, 16) == 0;
    thread_ = std::thread([this] { Serve(); });
  }
  ~ClosingBroker() {
    stop_ = true;
    thread_.join();
    close(listener_);
  }
  ClosingBroker(const ClosingBroker&) = delete;
  ClosingBroker& operator=(const ClosingBroker&) = delete;

  bool bound() const { return bound_; }
  int handshakes() const { return handshakes_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd item{listener_, POLLIN, 0};
      // A bounded wait, so the destructor's stop is seen.
      if (poll(&item, 1, 50) <= 0) {
        continue;
      }
      const int connection = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) {
        continue;
      }
      timeval timeout{5, 0};
      setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      if (testing::ZmtpNullHandshake(connection, "ROUTER")) {
        ++handshakes_;
      }
      close(connection);
    }
  }

  int listener_;
  bool bound_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

class ClientUnansweredTest : public ::testing::Test {
 protected:
  // Returns once the client's I/O loop has handled everything that reached
  // it before the call: it has gone round twice since (see
  // ManualClock::sleeps), woken by the clock if it had nothing to do.
  void Settle() { ASSERT_TRUE(::jobq::testing::Settle(clock_)) << "the client is stuck"; }

  ManualClock clock_;  // outlives the client, which reads it
  const ::jobq::testing::TempDir dir_;
};

TEST_F(ClientUnansweredTest, ABrokerThatClosesEveryConnectionUnansweredFailsTheJobAfterTheTimeout) {
  ClosingBroker broker(dir_.File("broker"));
  ASSERT_TRUE(broker.bound());
  ClientOptions options;
  options.broker_endpoint = "ipc://" + dir_.File("broker");
  options.connect_timeout_ms = 500;
  options.clock = &clock_;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  JobSpec spec;
  spec.set_task("noop");
  Future future = (*client)->Submit(spec);
  Settle();  // the job is the client's to send

  // The client reconnects only after it saw a connection cut, so two more
  // handshakes mean a connection was cut while the client held the job,
  // and that the cut reached the client before the second: once it has
  // handled that, its error can say so.
  const int handshakes = broker.handshakes();
  ASSERT_TRUE(WaitFor([&] { return broker.handshakes() >= handshakes + 2; }));
  Settle();
  clock_.AdvanceMs(options.connect_timeout_ms);
  ASSERT_TRUE(future.WaitForAck(kTestDeadline)) << "the client never gave up";
  absl::StatusOr<SubmitAck> ack = future.Ack();
  ASSERT_FALSE(ack.ok());
  EXPECT_EQ(ack.status().code(), absl::StatusCode::kUnavailable);
  const std::string message(ack.status().message());
  EXPECT_THAT(message, HasSubstr("cannot reach the broker at " + options.broker_endpoint));
  EXPECT_THAT(message, HasSubstr("closed before the broker answered"));
  EXPECT_THAT(message, HasSubstr("--connections-max"));
  // The test plays what it claims: connections were made, then cut.
  EXPECT_GE(broker.handshakes(), 1);
}

}  // namespace
}  // namespace jobq
