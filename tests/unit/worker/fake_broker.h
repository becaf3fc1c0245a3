#pragma once
// FakeBroker: a ROUTER socket that plays the broker's side of the worker
// protocol, scripted by a test. Waits for messages with a deadline and
// never sleeps. Like a real broker it sends HEARTBEATs (once the test sets
// an interval), so a worker only declares it lost when it is gone. Not
// thread-safe; the test thread owns it.

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/transport/zmq_messages.h"
#include "jobq/wire.pb.h"
#include "tests/support/wait_for.h"

namespace jobq::worker::testing {

struct WorkerMessage {
  std::string routing_id;
  Command command{};
  std::string body;

  template <typename Body>
  Body As() const {
    Body parsed;
    parsed.ParseFromString(body);
    return parsed;
  }
};

class FakeBroker {
 public:
  FakeBroker(zmq::context_t& context, const std::string& endpoint)
      : endpoint_(endpoint), socket_(context, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(endpoint_);
  }
  // Unbinds first: closing alone frees the address only later, on ZeroMQ's
  // own thread, and a "restarted" broker binds it again at once.
  ~FakeBroker() { socket_.unbind(endpoint_); }

  // While a test waits in Next(), HEARTBEAT the worker every `interval`
  // (zero: never). Set it to what WELCOME told the worker.
  void set_heartbeat_interval(std::chrono::milliseconds interval) {
    heartbeat_interval_ = interval;
  }

  // The next message from the worker, skipping heartbeats unless asked for;
  // nullopt if none arrives within `within`.
  std::optional<WorkerMessage> Next(
      bool skip_heartbeats = true,
      std::chrono::milliseconds within = ::jobq::testing::TestDeadline()) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (true) {
      SendHeartbeatIfDue();
      ReceivedMessage received;
      if (ReceiveMessage(socket_, Channel::kWorkerToBroker, true, &received)) {
        if (received.decoded.error != FrameError::kNone) {
          continue;
        }
        WorkerMessage message{std::string(received.decoded.routing_id), received.decoded.command,
                              std::string(received.decoded.body)};
        peer_ = message.routing_id;
        if (skip_heartbeats && message.command == Command::kWorkerHeartbeat) {
          continue;
        }
        return message;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::nullopt;
      }
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1,
                heartbeat_interval_.count() > 0 ? std::min(left, heartbeat_interval_) : left);
    }
  }

  // The next message that is `command`, dropping others on the way; nullopt
  // if none arrives within `within`, even while others keep coming (a worker
  // that never hears WELCOME resends HELLO forever).
  std::optional<WorkerMessage> NextOf(
      Command command, std::chrono::milliseconds within = ::jobq::testing::TestDeadline()) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::nullopt;
      }
      std::optional<WorkerMessage> message = Next(command != Command::kWorkerHeartbeat, left);
      if (!message.has_value() || message->command == command) {
        return message;
      }
    }
  }

  // To the worker heard from last.
  void Send(Command command, const google::protobuf::MessageLite& body) {
    SendMessage(socket_, peer_, command, body, &scratch_);
  }
  void SendRawBody(Command command, std::string_view body) {
    SendRaw(socket_, peer_, command, body);
  }
  void SendFrames(std::initializer_list<std::string_view> frames) {
    socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
    size_t left = frames.size();
    for (std::string_view frame : frames) {
      socket_.send(zmq::buffer(frame),
                   --left > 0 ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

 private:
  void SendHeartbeatIfDue() {
    const auto now = std::chrono::steady_clock::now();
    if (heartbeat_interval_.count() <= 0 || peer_.empty() || now < next_heartbeat_) {
      return;
    }
    Send(Command::kBrokerHeartbeat, wire::Heartbeat());
    next_heartbeat_ = now + heartbeat_interval_;
  }

  std::chrono::milliseconds heartbeat_interval_{0};
  std::chrono::steady_clock::time_point next_heartbeat_{};
  std::string endpoint_;
  zmq::socket_t socket_;
  std::string peer_;
  std::string scratch_;
};

}  // namespace jobq::worker::testing
