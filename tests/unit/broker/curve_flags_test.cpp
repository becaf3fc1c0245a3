// The broker's CURVE flags and protected mode, through ParseBrokerFlags.

#include "broker/curve_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "common/curve_keys.h"
#include "tests/unit/broker/parse_broker_flags.h"

namespace jobq::broker {
namespace {

using ::testing::HasSubstr;

using testing::Parse;
using testing::Parsed;

class CurveFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("jobq-curve-flags-") + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    broker_ = *curve::GenerateKeyPair();
    producer_ = *curve::GenerateKeyPair();
    worker_ = *curve::GenerateKeyPair();
    Write("broker.key", curve::FormatKeyFile(broker_, "broker"));
    Write("producers.allow", curve::FormatPublicKeyFile(producer_.public_key));
    Write("workers.allow", curve::FormatPublicKeyFile(worker_.public_key));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return Path(name);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
  curve::KeyPair broker_, producer_, worker_;
};

TEST_F(CurveFlagsTest, AKeyAndBothListsTurnCurveOn) {
  Parsed parsed = Parse({"--curve-secret-key", Path("broker.key"), "--producer-keys",
                         Path("producers.allow"), "--worker-keys", Path("workers.allow")});
  ASSERT_TRUE(parsed.config);
  ASSERT_TRUE(parsed.config->curve);
  EXPECT_EQ(parsed.config->curve->server.public_key, broker_.public_key);
  EXPECT_EQ(parsed.config->curve->producers, curve::AllowList{producer_.public_key});
  EXPECT_EQ(parsed.config->curve->workers, curve::AllowList{worker_.public_key});
}

TEST_F(CurveFlagsTest, TheEnvironmentNamesTheFilesToo) {
  ::setenv("JOBQ_CURVE_SECRET_KEY", Path("broker.key").c_str(), 1);
  ::setenv("JOBQ_PRODUCER_KEYS", Path("producers.allow").c_str(), 1);
  ::setenv("JOBQ_WORKER_KEYS", Path("workers.allow").c_str(), 1);
  Parsed parsed = Parse({});
  ::unsetenv("JOBQ_CURVE_SECRET_KEY");
  ::unsetenv("JOBQ_PRODUCER_KEYS");
  ::unsetenv("JOBQ_WORKER_KEYS");
  ASSERT_TRUE(parsed.config);
  EXPECT_TRUE(parsed.config->curve);
}

TEST_F(CurveFlagsTest, HalfAConfigurationIsAUsageError) {
  const std::vector<std::vector<std::string>> cases = {
      {"--producer-keys", Path("producers.allow")},
      {"--worker-keys", Path("workers.allow")},
      {"--curve-secret-key", Path("broker.key")},
      {"--curve-secret-key", Path("broker.key"), "--producer-keys", Path("producers.allow")},
  };
  for (const auto& args : cases) {
    Parsed parsed = Parse(args);
    EXPECT_FALSE(parsed.config) << args[0];
    EXPECT_EQ(parsed.exit_code, 2) << args[0];
  }
  BrokerConfig config;
  config.curve_secret_key_file = Path("broker.key");
  config.producer_keys_file = Path("producers.allow");
  EXPECT_THAT(CheckCurveFlags(&config), HasSubstr("missing: --worker-keys"));
  config = BrokerConfig();
  config.worker_keys_file = Path("workers.allow");
  EXPECT_THAT(CheckCurveFlags(&config), HasSubstr("need --curve-secret-key"));
}

TEST_F(CurveFlagsTest, BadFilesSayWhichFlagFileAndLine) {
  Write("bad.allow", curve::FormatPublicKeyFile(worker_.public_key) + "oops\n");
  BrokerConfig config;
  config.curve_secret_key_file = Path("broker.key");
  config.producer_keys_file = Path("producers.allow");
  config.worker_keys_file = Path("bad.allow");
  EXPECT_THAT(CheckCurveFlags(&config),
              HasSubstr(std::string("--worker-keys: ") + Path("bad.allow") + ":2:"));
  config.worker_keys_file = Path("workers.allow");
  config.curve_secret_key_file = Path("producers.allow");  // a public key, no secret
  EXPECT_THAT(CheckCurveFlags(&config), HasSubstr("--curve-secret-key: "));
  config.curve_secret_key_file = Path("missing.key");
  EXPECT_THAT(CheckCurveFlags(&config), HasSubstr("missing.key"));
}

TEST(ProtectedModeTest, LoopbackAndLocalEndpointsNeedNoKeys) {
  for (const char* endpoint :
       {"tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://localhost:5555", "tcp://[::1]:5555",
        "tcp://127.3.2.1:1", "ipc:///tmp/jobq.sock", "inproc://jobq"}) {
    BrokerConfig config;
    config.frontend = endpoint;
    EXPECT_EQ(CheckProtectedMode(config), "") << endpoint;
    EXPECT_TRUE(UnprotectedEndpoints(config).empty()) << endpoint;
  }
}

TEST(ProtectedModeTest, OtherEndpointsNeedCurveOrInsecure) {
  for (const char* endpoint :
       {"tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.5:5555", "tcp://[::]:5555",
        "tcp://broker.example.com:5555", "tcp://eth0:5555", "tcp://128.0.0.1:5555"}) {
    BrokerConfig config;
    config.backend = endpoint;
    const std::string error = CheckProtectedMode(config);
    EXPECT_THAT(error, HasSubstr(std::string("refusing to listen on ") + endpoint)) << endpoint;
    EXPECT_THAT(error, HasSubstr("jobq keygen"));
    EXPECT_THAT(error, HasSubstr("--insecure"));
    config.insecure = true;
    EXPECT_EQ(CheckProtectedMode(config), "") << endpoint;
    EXPECT_EQ(UnprotectedEndpoints(config), std::vector<std::string>{endpoint});
    config.insecure = false;
    config.curve.emplace();
    EXPECT_EQ(CheckProtectedMode(config), "") << "CURVE protects " << endpoint;
  }
}

TEST(ProtectedModeTest, TheBrokerExitsTwoWithoutKeysOrInsecure) {
  Parsed parsed = Parse({"--frontend", "tcp://0.0.0.0:5555"});
  EXPECT_FALSE(parsed.config);
  EXPECT_EQ(parsed.exit_code, 2);
  parsed = Parse({"--frontend", "tcp://0.0.0.0:5555", "--insecure"});
  ASSERT_TRUE(parsed.config);
  EXPECT_TRUE(parsed.config->insecure);
}

}  // namespace
}  // namespace jobq::broker
