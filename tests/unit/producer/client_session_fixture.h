#pragma once
// What the ClientSession tests share (client_session_test.cpp,
// client_session_workflow_test.cpp): a fixture that plays the broker
// (decoded messages in, what the session sent read from a RecordingSink),
// the socket monitor and the I/O loop's turns, on a ManualClock it moves
// for the timeouts. No socket, no thread.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "common/wake_fd.h"
#include "producer/client/client.h"
#include "producer/client/internal/client_session.h"
#include "producer/client/internal/message_sink.h"
#include "producer/client/internal/shared_state.h"

namespace jobq::client_internal::session_test {

inline constexpr char kEndpoint[] = "tcp://broker.test:5555";
// ClientSession::kSubmitTokenPrefixBytes bytes.
inline constexpr char kTokenPrefix[] = "prefix-8";

// The submit_token the session gives the job or workflow `seq` that came
// without one.
inline std::string TokenFor(uint64_t seq) {
  std::string token(kTokenPrefix);
  for (size_t i = 0; i < sizeof(seq); ++i) {
    token.push_back(static_cast<char>(seq >> (8 * (sizeof(seq) - 1 - i))));
  }
  return token;
}

// The id the test's broker gives the `n`th thing of a `kind`.
inline JobId IdFor(char kind, uint64_t n) {
  std::string bytes(JobId::kSize, '\0');
  bytes[0] = kind;
  bytes[JobId::kSize - 1] = static_cast<char>(n);
  return *JobId::FromBytes(bytes);
}

struct SentMessage {
  Command command;
  std::string body;
};

// Records what the session sends; refuses a send when told to, as a
// DEALER whose connection broke after it looked writable.
class RecordingSink final : public MessageSink {
 public:
  bool Ready() override { return true; }
  bool Send(Command command, const google::protobuf::MessageLite& body) override {
    if (refuse_next_) {
      refuse_next_ = false;
      return false;
    }
    sent_.push_back({command, body.SerializeAsString()});
    return true;
  }

  void RefuseNext() { refuse_next_ = true; }

  // The messages sent since the last Take.
  std::vector<SentMessage> Take() { return std::exchange(sent_, {}); }

 private:
  std::vector<SentMessage> sent_;
  bool refuse_next_ = false;
};

class ClientSessionFixture : public ::testing::Test {
 protected:
  ClientSessionFixture() : shared_(std::make_shared<Shared>(WakeFd::CreateOrDie())) {}

  void MakeSession(ClientOptions options = {}, const std::string& endpoint = kEndpoint) {
    options.broker_endpoint = endpoint;
    session_ = std::make_unique<ClientSession>(options, shared_, kTokenPrefix);
    session_->Start(clock_.NowMs());
  }

  // The I/O loop's work between two polls.
  void Turn() {
    session_->SendPending(clock_.NowMs(), sink_);
    session_->CheckDeadlines(clock_.NowMs());
  }

  void Deliver(Command command, const google::protobuf::MessageLite& body) {
    const std::string bytes = body.SerializeAsString();
    DecodedFrames decoded;
    decoded.command = command;
    decoded.body = bytes;
    session_->OnBrokerMessage(decoded, clock_.NowMs());
  }

  ManualClock clock_;
  std::shared_ptr<Shared> shared_;
  RecordingSink sink_;
  std::unique_ptr<ClientSession> session_;
};

}  // namespace jobq::client_internal::session_test
