// jobq-worker's CURVE flags (--broker-key, --curve-key) and what a failed
// handshake makes it log.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zmq.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "common/curve_keys.h"
#include "common/transport/monitor_events.h"
#include "tests/unit/worker/parse_worker_args.h"
#include "worker/worker_flags.h"

namespace jobq::worker {
namespace {

using ::testing::HasSubstr;
using Action = FlagsOutcome::Action;

class WorkerCurveFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("jobq-worker-curve-") + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    broker_ = *curve::GenerateKeyPair();
    own_ = *curve::GenerateKeyPair();
    std::ofstream(dir_ / "broker.pub") << curve::FormatPublicKeyFile(broker_.public_key);
    std::ofstream(dir_ / "w.key") << curve::FormatKeyFile(own_, "w");
    broker_pub_ = (dir_ / "broker.pub").string();
    own_key_ = (dir_ / "w.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  curve::KeyPair broker_, own_;
  std::string broker_pub_, own_key_;
};

TEST_F(WorkerCurveFlagsTest, NoKeysIsPlaintext) {
  WorkerConfig config;
  ASSERT_EQ(ParseWorkerArgs({}, &config).action, Action::kRun);
  EXPECT_FALSE(config.curve);
}

TEST_F(WorkerCurveFlagsTest, BothFilesLoadTheKeys) {
  WorkerConfig config;
  ASSERT_EQ(ParseWorkerArgs({"--broker-key", broker_pub_.c_str(), "--curve-key", own_key_.c_str()},
                            &config)
                .action,
            Action::kRun);
  ASSERT_TRUE(config.curve);
  EXPECT_EQ(config.curve->server_public_key, broker_.public_key);
  EXPECT_EQ(config.curve->own.secret_key, own_.secret_key);
}

TEST_F(WorkerCurveFlagsTest, OneFileOrABadFileIsAUsageError) {
  WorkerConfig config;
  FlagsOutcome outcome = ParseWorkerArgs({"--broker-key", broker_pub_.c_str()}, &config);
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_THAT(outcome.text, HasSubstr("--curve-key"));
  outcome =
      ParseWorkerArgs({"--broker-key", own_key_.c_str(), "--curve-key", own_key_.c_str()}, &config);
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_THAT(outcome.text, HasSubstr("holds a secret key"));
  outcome = ParseWorkerArgs(
      {"--broker-key", broker_pub_.c_str(), "--curve-key", "/nonexistent.key"}, &config);
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_THAT(outcome.text, HasSubstr("/nonexistent.key"));
}

TEST(HandshakeDescriptionTest, SaysWhatToChange) {
  const HandshakeClient with_key{"worker", "KEY", "B"};
  const HandshakeClient without_key{"worker", "", "B"};
  auto describe = [](uint16_t event, uint32_t value, const HandshakeClient& client) {
    MonitorEvent monitor_event;
    monitor_event.event = event;
    monitor_event.value = value;
    return DescribeHandshakeFailure(monitor_event, client);
  };
  EXPECT_THAT(*describe(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, with_key),
              HasSubstr("refused this worker's key KEY: add it to the broker's --worker-keys"));
  EXPECT_THAT(*describe(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, {"producer", "KEY", "B"}),
              HasSubstr("refused this producer's key KEY: add it to the broker's --producer-keys"));
  EXPECT_THAT(*describe(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                        ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, without_key),
              HasSubstr("requires CURVE"));
  EXPECT_THAT(*describe(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                        ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, with_key),
              HasSubstr("does not use CURVE, but this worker was given keys"));
  EXPECT_THAT(*describe(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 32, with_key),
              HasSubstr("--broker-key is not its public key"));
  EXPECT_FALSE(describe(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 32, without_key))
      << "without CURVE a lost handshake is only a lost connection";
  EXPECT_FALSE(describe(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, with_key));
}

}  // namespace
}  // namespace jobq::worker
