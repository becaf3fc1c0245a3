// What unfinished messages can make the broker hold: each connection up to
// --message-max, and at most --connections-max connections per socket, so
// at most connections-max × message-max per socket. Raw TCP peers that
// speak just enough ZMTP to start a large frame and never finish it play
// the attack; the broker's RSS (/proc/PID/status) must stay under the
// bound, and the broker must go on serving.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/zmtp_null.h"

namespace jobq::testing {
namespace {

constexpr size_t kConnectionsMax = 4;
constexpr uint64_t kMessageMax = 4 << 20;
constexpr int kPeers = 16;  // four times the bound
// Of a frame just under the limit: what each peer makes the broker keep.
constexpr size_t kSentBytes = 3 << 20;
// The broker's own allocations while it serves `jobq status` and a worker.
constexpr uint64_t kSlackBytes = 8 << 20;

uint64_t RssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kib = 0;
      fields >> kib;
      return kib << 10;
    }
  }
  return 0;
}

int PortOf(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

// A ZMTP 3.0 peer of the NULL mechanism, as a DEALER would be, over a
// plain socket the test controls byte by byte.
class RawPeer {
 public:
  // Close-on-exec: a worker started meanwhile must not keep it open.
  explicit RawPeer(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    timeval timeout{10, 0};  // a deadline only: no step here waits for long
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawPeer() { close(fd_); }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // False when the broker closed the connection first.
  bool Handshake() { return connected_ && ZmtpNullHandshake(fd_, "DEALER"); }

  // Announces a frame of `frame_bytes` (a long one) and sends
  // `sent_bytes` of it. False when the connection is closed.
  bool StartFrame(uint64_t frame_bytes, size_t sent_bytes) {
    std::string header(9, '\0');
    header[0] = '\x02';  // long, last frame
    for (int i = 0; i < 8; ++i) {
      header[1 + i] = static_cast<char>(frame_bytes >> (8 * (7 - i)));
    }
    return SendAll(fd_, header) && SendAll(fd_, std::string(sent_bytes, 'x'));
  }

  // The broker sends nothing after READY, so anything readable is the end
  // of the stream.
  bool ClosedByBroker() const {
    pollfd item{fd_, POLLIN, 0};
    return poll(&item, 1, 0) != 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(PartialFramesTest, UnfinishedMessagesHoldAtMostConnectionsMaxTimesMessageMax) {
  Cluster cluster;
  cluster.StartBroker({"--store", "memory", "--message-max", "4MiB", "--payload-max", "1MiB",
                       "--result-max", "1MiB", "--connections-max",
                       std::to_string(kConnectionsMax)});
  const pid_t broker = cluster.broker().pid();
  const uint64_t baseline = RssBytes(broker);
  ASSERT_GT(baseline, 0u);

  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < kPeers; ++i) {
    peers.push_back(std::make_unique<RawPeer>(PortOf(cluster.frontend())));
    peers.back()->Handshake();  // those over the bound may be cut before it ends
  }
  auto open_peers = [&] {
    return std::count_if(peers.begin(), peers.end(),
                         [](const auto& peer) { return !peer->ClosedByBroker(); });
  };
  ASSERT_TRUE(WaitFor([&] { return open_peers() == static_cast<long>(kConnectionsMax); }))
      << open_peers() << " connections open, --connections-max " << kConnectionsMax;

  for (const auto& peer : peers) {
    (void)peer->StartFrame(kMessageMax - (64 << 10), kSentBytes);  // the cut ones fail
  }
  // Until the broker has read what the open connections sent, then a while
  // longer, keeping the highest figure.
  const uint64_t expected_growth = kConnectionsMax * kSentBytes;
  EXPECT_TRUE(WaitFor([&] { return RssBytes(broker) >= baseline + expected_growth * 3 / 4; }))
      << "the broker never took in the partial frames: RSS " << RssBytes(broker) << ", at start "
      << baseline;
  uint64_t highest = 0;
  for (int i = 0; i < 10; ++i) {
    highest = std::max(highest, RssBytes(broker));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const uint64_t growth = highest > baseline ? highest - baseline : 0;
  EXPECT_LE(growth, kConnectionsMax * kMessageMax + kSlackBytes)
      << "RSS grew by " << growth << " bytes; " << kPeers << " unbounded connections would hold "
      << kPeers * kSentBytes;
  EXPECT_NE(cluster.broker().Stderr().find("connections_max_reached"), std::string::npos);

  // Full on the frontend: a producer is turned away, not queued...
  CommandResult refused = cluster.Jobq({"submit", "noop", "--connect-timeout", "1"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  // ...while the backend, bounded on its own, still takes a worker.
  cluster.StartWorker("w1");
  EXPECT_TRUE(cluster.WaitForWorkers(1));

  // Once the unfinished messages go, so do their places.
  peers.clear();
  CommandResult run;
  EXPECT_TRUE(WaitFor([&] {
    run = cluster.Jobq({"submit", "echo", "--arg", "s=after", "--wait"});
    return run.exit_code == 0;
  })) << run.out
      << run.err;
  EXPECT_NE(run.out.find("after"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace jobq::testing
