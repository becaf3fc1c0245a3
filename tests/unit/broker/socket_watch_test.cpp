// SocketWatch on a real ROUTER over TCP: a connection beyond the bound is
// closed by the broker's side, its end is not reported as a failed
// handshake, and a real failed handshake still is.

#include "broker/net/socket_watch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "tests/support/wait_for.h"

namespace jobq::broker::net {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Whether the other side ends the stream before the deadline; what it
// sends first (its ZMTP greeting) is read and dropped.
bool EndsStream(int fd) {
  return ::jobq::testing::WaitFor([fd] {
    char buffer[256];
    pollfd item{fd, POLLIN, 0};
    return poll(&item, 1, 50) > 0 && recv(fd, buffer, sizeof(buffer), 0) <= 0;
  });
}

class SocketWatchTest : public ::testing::Test {
 protected:
  SocketWatchTest() : context_(1), router_(context_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
  }

  // Serves the watch's events until `condition` holds (false at the deadline).
  bool ServeUntil(SocketWatch& watch, const std::function<bool()>& condition) {
    return ::jobq::testing::WaitFor([&] {
      if (condition()) {
        return true;
      }
      zmq::pollitem_t item{watch.events().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      watch.Serve(
          /*now_ms=*/1, /*max_events=*/100,
          [this](uint16_t event, uint32_t, std::string_view) { failures_.push_back(event); });
      return condition();
    });
  }

  int Bind(SocketWatch& watch) {
    EXPECT_TRUE(watch.Watch(router_).ok());
    router_.bind("tcp://127.0.0.1:*");
    const std::string endpoint = router_.get(zmq::sockopt::last_endpoint);
    return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  }

  zmq::context_t context_;
  zmq::socket_t router_;
  std::vector<uint16_t> failures_;
};

TEST_F(SocketWatchTest, ACutConnectionEndsAndIsNoFailedHandshake) {
  SocketWatch watch(context_, "test", 1);
  const int port = Bind(watch);
  const int kept = Connect(port);
  ASSERT_TRUE(ServeUntil(watch, [&] { return watch.connections().admitted() == 1; }));
  const int cut = Connect(port);
  ASSERT_TRUE(ServeUntil(watch, [&] { return watch.connections().cut_total() == 1; }));
  EXPECT_TRUE(EndsStream(cut));
  ASSERT_TRUE(ServeUntil(watch, [&] { return watch.connections().cut_open() == 0; }));
  EXPECT_TRUE(failures_.empty()) << failures_.size() << " failed handshakes reported";
  EXPECT_EQ(watch.connections().admitted(), 1u);

  // A greeting for another mechanism fails the admitted connection's
  // handshake, which is reported, and frees its place.
  std::string greeting(64, '\0');
  greeting[0] = '\xff';
  greeting[9] = '\x7f';
  greeting[10] = 3;
  greeting.replace(12, 5, "PLAIN");
  ASSERT_EQ(send(kept, greeting.data(), greeting.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(greeting.size()));
  ASSERT_TRUE(ServeUntil(watch, [&] { return watch.connections().admitted() == 0; }));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0], ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
  close(cut);
  close(kept);
}

}  // namespace
}  // namespace jobq::broker::net
