// JobSpec times at the int64 edge, over the wire to the real broker: each
// such job is refused alone with bad_request naming its field, the rest of
// the SUBMIT runs, and the broker keeps serving.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "common/framing.h"
#include "jobq/wire.pb.h"
#include "tests/support/cluster.h"

namespace jobq::testing {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

void SendSubmit(zmq::socket_t& socket, const wire::Submit& submit) {
  const std::string command(1, static_cast<char>(Command::kSubmit));
  const std::string body = submit.SerializeAsString();
  socket.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(kProtocolSignature), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(command), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body), zmq::send_flags::none);
}

// The acks of the SUBMITTED messages that arrive before `count` are in or
// the deadline passes, by client_seq.
std::map<uint64_t, wire::SubmitAck> ReceiveAcks(zmq::socket_t& socket, size_t count) {
  std::map<uint64_t, wire::SubmitAck> acks;
  const auto deadline = std::chrono::steady_clock::now() + Scaled(std::chrono::seconds(10));
  while (acks.size() < count && std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0) {
      continue;
    }
    std::vector<std::string> frames;
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
    if (frames.size() != 4 || frames[2].size() != 1 ||
        static_cast<uint8_t>(frames[2][0]) != static_cast<uint8_t>(Command::kSubmitted)) {
      continue;
    }
    wire::Submitted submitted;
    if (!submitted.ParseFromString(frames[3])) {
      continue;
    }
    for (const wire::SubmitAck& ack : submitted.acks()) {
      acks[ack.client_seq()] = ack;
    }
  }
  return acks;
}

TEST(SpecLimitsTest, Int64MaxTimeoutAndResultTtlAreRefusedByNameAndTheBrokerServesOn) {
  Cluster cluster;
  cluster.StartBroker();
  cluster.StartWorker("w1");
  zmq::context_t context(1);
  zmq::socket_t client(context, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  client.connect(cluster.frontend());

  wire::Submit submit;
  submit.set_first_seq(1);
  wire::JobSpec& timeout = *submit.add_jobs();
  timeout.set_task("noop");
  timeout.set_timeout_ms(kInt64Max);
  wire::JobSpec& ttl = *submit.add_jobs();
  ttl.set_task("noop");
  ttl.set_result_ttl_ms(kInt64Max);
  wire::JobSpec& fine = *submit.add_jobs();
  fine.set_task("noop");
  SendSubmit(client, submit);

  std::map<uint64_t, wire::SubmitAck> acks = ReceiveAcks(client, 3);
  ASSERT_EQ(acks.size(), 3u);
  // Field, and its maximum (common/time_limits.h) as the message gives it.
  const std::map<uint64_t, std::pair<std::string, std::string>> refused = {
      {1, {"timeout_ms", "to 31536000000 (365 days)"}},
      {2, {"result_ttl_ms", "to 315360000000 (3650 days)"}}};
  for (const auto& [seq, field_and_max] : refused) {
    const auto& [field, max] = field_and_max;
    EXPECT_TRUE(acks[seq].id().empty()) << field;
    EXPECT_EQ(acks[seq].error().type(), "bad_request") << field;
    const std::string& message = acks[seq].error().message();
    EXPECT_NE(message.find(field + " is " + std::to_string(kInt64Max)), std::string::npos)
        << message;
    EXPECT_NE(message.find(max), std::string::npos) << message;
  }
  EXPECT_FALSE(acks[3].id().empty()) << acks[3].error().message();

  CommandResult run = cluster.Jobq({"submit", "echo", "--arg", "ok=true", "--wait"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  EXPECT_EQ(lines[0]["state"], "succeeded");
}

}  // namespace
}  // namespace jobq::testing
