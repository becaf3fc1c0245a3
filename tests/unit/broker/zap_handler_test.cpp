// The ZAP handler: who is let in on which socket, and garbage requests.

#include "broker/net/zap_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <vector>
#include <zmq_addon.hpp>

namespace jobq::broker::net {
namespace {

using ::testing::HasSubstr;

class ZapHandlerTest : public ::testing::Test {
 protected:
  ZapHandlerTest() {
    keys_.server = *curve::GenerateKeyPair();
    producer_ = curve::GenerateKeyPair()->public_key;
    worker_ = curve::GenerateKeyPair()->public_key;
    stranger_ = curve::GenerateKeyPair()->public_key;
    keys_.producers = {producer_};
    keys_.workers = {worker_};
  }
  curve::ServerKeys keys_;
  std::string producer_, worker_, stranger_;
};

TEST_F(ZapHandlerTest, EachKeyOnlyOnItsOwnSocket) {
  EXPECT_TRUE(JudgeCurveClient(keys_, kFrontendZapDomain, "CURVE", producer_).allowed);
  EXPECT_TRUE(JudgeCurveClient(keys_, kBackendZapDomain, "CURVE", worker_).allowed);

  ZapVerdict verdict = JudgeCurveClient(keys_, kFrontendZapDomain, "CURVE", worker_);
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.socket, ZapSocket::kFrontend);
  EXPECT_THAT(verdict.why, HasSubstr("a worker key"));
  verdict = JudgeCurveClient(keys_, kBackendZapDomain, "CURVE", producer_);
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.socket, ZapSocket::kBackend);
  EXPECT_THAT(verdict.why, HasSubstr("a producer key"));
  verdict = JudgeCurveClient(keys_, kFrontendZapDomain, "CURVE", stranger_);
  EXPECT_FALSE(verdict.allowed);
  EXPECT_THAT(verdict.why, HasSubstr("--producer-keys"));
}

TEST_F(ZapHandlerTest, AnythingOddIsRefused) {
  EXPECT_FALSE(JudgeCurveClient(keys_, "other", "CURVE", producer_).allowed);
  EXPECT_EQ(JudgeCurveClient(keys_, "other", "CURVE", producer_).socket, ZapSocket::kUnknown);
  EXPECT_FALSE(JudgeCurveClient(keys_, kFrontendZapDomain, "NULL", producer_).allowed);
  EXPECT_FALSE(JudgeCurveClient(keys_, kFrontendZapDomain, "CURVE", "short").allowed);
  EXPECT_FALSE(JudgeCurveClient(keys_, kFrontendZapDomain, "CURVE", "").allowed);
}

// Sends `request` to the handler over its own endpoint, serves it, and
// returns the reply's frames.
std::vector<std::string> RoundTrip(zmq::context_t& context, ZapHandler& handler,
                                   const std::vector<std::string>& request) {
  zmq::socket_t client(context, zmq::socket_type::req);
  client.set(zmq::sockopt::linger, 0);
  client.connect(kZapEndpoint);
  std::vector<zmq::const_buffer> frames;
  for (const std::string& frame : request) {
    frames.push_back(zmq::buffer(frame));
  }
  EXPECT_TRUE(zmq::send_multipart(client, frames));
  std::vector<zmq::message_t> reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reply.empty() && std::chrono::steady_clock::now() < deadline) {
    handler.Serve(0, 16);
    zmq::pollitem_t item{client.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
    if (item.revents & ZMQ_POLLIN) {
      (void)zmq::recv_multipart(client, std::back_inserter(reply));
    }
  }
  std::vector<std::string> texts;
  for (const zmq::message_t& frame : reply) {
    texts.push_back(frame.to_string());
  }
  return texts;
}

TEST_F(ZapHandlerTest, AnswersRequestsAndSurvivesGarbage) {
  zmq::context_t context(1);
  ZapHandler handler(context, &keys_);
  ASSERT_TRUE(handler.Bind().ok());

  std::vector<std::string> reply = RoundTrip(
      context, handler, {"1.0", "7", kFrontendZapDomain, "127.0.0.1", "", "CURVE", producer_});
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(reply[0], "1.0");
  EXPECT_EQ(reply[1], "7");
  EXPECT_EQ(reply[2], "200");
  EXPECT_EQ(reply[4], curve::ToZ85(producer_));

  reply = RoundTrip(context, handler,
                    {"1.0", "8", kBackendZapDomain, "127.0.0.1", "", "CURVE", producer_});
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(reply[2], "400");
  EXPECT_EQ(handler.refused(ZapSocket::kBackend), 1u);
  EXPECT_EQ(handler.refused(ZapSocket::kFrontend), 0u);

  for (const std::vector<std::string>& garbage : std::vector<std::vector<std::string>>{
           {"x"}, {"2.0", "1", "d", "a", "i", "CURVE", "k"}, {"1.0", "1"}, {""}}) {
    reply = RoundTrip(context, handler, garbage);
    ASSERT_EQ(reply.size(), 6u);
    EXPECT_EQ(reply[2], "500");
  }
  reply = RoundTrip(context, handler,
                    {"1.0", "9", kBackendZapDomain, "127.0.0.1", "", "CURVE", worker_});
  ASSERT_EQ(reply.size(), 6u);
  EXPECT_EQ(reply[2], "200") << "still answering after garbage";
}

}  // namespace
}  // namespace jobq::broker::net
