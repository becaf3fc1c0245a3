// Garbage on both broker sockets: answered with ERROR where the sender can
// be addressed, dropped otherwise, and the broker keeps serving.

#include <gtest/gtest.h>

#include <random>
#include <zmq.hpp>

#include "common/framing.h"
#include "jobq/wire.pb.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

using Frames = std::vector<std::string>;

void SendFrames(zmq::socket_t& socket, const Frames& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    socket.send(zmq::buffer(frames[i]),
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

// The next message on `socket`, or empty after `timeout`.
Frames Receive(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  Frames frames;
  if (zmq::poll(&item, 1, timeout) <= 0) {
    return frames;
  }
  while (true) {
    zmq::message_t frame;
    if (!socket.recv(frame)) {
      break;
    }
    frames.push_back(frame.to_string());
    if (!frame.more()) {
      break;
    }
  }
  return frames;
}

// Reads until an ERROR arrives (heartbeats or RECONNECT may come first).
std::optional<wire::Error> ReceiveError(zmq::socket_t& socket) {
  const auto deadline = std::chrono::steady_clock::now() + Scaled(std::chrono::seconds(10));
  while (std::chrono::steady_clock::now() < deadline) {
    Frames frames = Receive(socket, std::chrono::milliseconds(500));
    if (frames.size() >= 4 && frames[2].size() == 1 &&
        static_cast<uint8_t>(frames[2][0]) == static_cast<uint8_t>(Command::kError)) {
      wire::Error error;
      if (error.ParseFromString(frames[3])) {
        return error;
      }
    }
  }
  return std::nullopt;
}

std::string CommandFrame(Command command) { return std::string(1, static_cast<char>(command)); }

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartBroker();
    cluster_.StartWorker("w1");
  }

  zmq::socket_t Connect(const std::string& endpoint) {
    zmq::socket_t socket(context_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    return socket;
  }

  void ExpectStillServing() {
    CommandResult run = cluster_.Jobq({"submit", "echo", "--arg", "ok=true", "--wait"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::vector<nlohmann::json> lines = JsonLines(run.out);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["state"], "succeeded");
  }

  Cluster cluster_;
  zmq::context_t context_{1};
};

TEST_F(MalformedTest, FrontendAnswersEachKindOfGarbage) {
  zmq::socket_t client = Connect(cluster_.frontend());
  const std::string signature(kProtocolSignature);
  struct Case {
    Frames frames;
    wire::ErrorCode expected;
  };
  const std::vector<Case> cases = {
      {{"hello"}, wire::ERROR_CODE_BAD_BODY},
      {{"", "HTTP/1.1", CommandFrame(Command::kSubmit), ""}, wire::ERROR_CODE_BAD_VERSION},
      {{"", std::string("JQ\x09", 3), CommandFrame(Command::kSubmit), ""},
       wire::ERROR_CODE_BAD_VERSION},
      {{"", signature, "\x7f", ""}, wire::ERROR_CODE_BAD_COMMAND},
      {{"", signature, CommandFrame(Command::kHello), ""}, wire::ERROR_CODE_BAD_COMMAND},
      {{"", signature, CommandFrame(Command::kSubmit), std::string("\xff\xff\xff", 3)},
       wire::ERROR_CODE_BAD_BODY},
      {{"", signature, CommandFrame(Command::kSubmit), "", "extra"}, wire::ERROR_CODE_BAD_BODY},
  };
  for (const Case& each : cases) {
    SendFrames(client, each.frames);
    std::optional<wire::Error> error = ReceiveError(client);
    ASSERT_TRUE(error.has_value()) << "no ERROR for case " << &each - cases.data();
    EXPECT_EQ(error->code(), each.expected) << error->text();
    EXPECT_FALSE(error->text().empty());
  }
  ExpectStillServing();
  // The status is a snapshot the broker refreshes a few times a second.
  EXPECT_TRUE(WaitFor([&] {
    nlohmann::json status = cluster_.Status();
    return !status.is_null() && status["counters"]["bad_messages"] == std::to_string(cases.size());
  })) << "every bad message counted once";
}

TEST_F(MalformedTest, BackendAnswersGarbageAndKeepsItsWorkers) {
  zmq::socket_t fake_worker = Connect(cluster_.backend());
  const std::string signature(kProtocolSignature);
  SendFrames(fake_worker, {"", signature, CommandFrame(Command::kHello), "\xff\xfe garbage"});
  std::optional<wire::Error> error = ReceiveError(fake_worker);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), wire::ERROR_CODE_BAD_BODY);

  SendFrames(fake_worker, {"", signature, CommandFrame(Command::kSubmit), ""});
  error = ReceiveError(fake_worker);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), wire::ERROR_CODE_BAD_COMMAND) << "SUBMIT is not a worker command";

  // Random bytes in random frame counts.
  std::mt19937 random(7);
  for (int i = 0; i < 200; ++i) {
    Frames frames(1 + random() % 6);
    for (std::string& frame : frames) {
      frame.resize(random() % 40);
      for (char& c : frame) {
        c = static_cast<char>(random());
      }
    }
    SendFrames(fake_worker, frames);
  }
  ExpectStillServing();
  EXPECT_TRUE(cluster_.WaitForWorkers(1)) << "the real worker is still registered";
}

}  // namespace
}  // namespace jobq::testing
