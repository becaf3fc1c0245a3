// CURVE on the broker's sockets and protected mode (DESIGN.md §9), with the
// real binaries: keys from `jobq keygen`, allow-lists, a ZAP handler that
// keeps producer keys off the worker socket and the other way round, clear
// errors for refused clients, jobq_auth_refused_total on GET /metrics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/http_get.h"

namespace jobq::testing {
namespace {

using ::testing::HasSubstr;

// The Z85 public key in a .pub file.
std::string PublicKeyOf(const std::string& pub_file) {
  const std::string text = ReadFile(pub_file);
  const size_t open = text.find('"');
  return text.substr(open + 1, text.find('"', open + 1) - open - 1);
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"broker", "producer", "worker", "stranger"}) {
      CommandResult made =
          RunCommand({JOBQ_CLI_BIN, "keygen", "--out-dir", cluster_.dir().path(), name});
      ASSERT_EQ(made.exit_code, 0) << made.err;
    }
    WriteFile(Key("producers.allow"), "# producers\n" + ReadFile(Key("producer.pub")));
    WriteFile(Key("workers.allow"), ReadFile(Key("worker.pub")));
  }

  std::string Key(const std::string& file) { return cluster_.dir().File(file); }

  void StartCurveBroker() {
    cluster_.StartBroker({"--curve-secret-key", Key("broker.key"), "--producer-keys",
                          Key("producers.allow"), "--worker-keys", Key("workers.allow"),
                          "--metrics", "127.0.0.1:0"});
  }

  // `jobq` with the broker's public key and the pair named `who`.
  CommandResult JobqAs(const std::string& who, std::vector<std::string> args) {
    args.insert(args.begin(), {"--broker-key", Key("broker.pub"), "--curve-key", Key(who + ".key"),
                               "--connect-timeout", "20"});
    return cluster_.Jobq(args);
  }

  std::vector<std::string> WorkerKeys(const std::string& who,
                                      const std::string& broker_pub = "broker.pub") {
    return {"--broker-key", Key(broker_pub), "--curve-key", Key(who + ".key")};
  }

  double Refused(const std::string& socket) {
    return ScrapeSample(cluster_.metrics(), "jobq_auth_refused_total{socket=\"" + socket + "\"}");
  }

  bool StderrSays(Process& process, const std::string& text) {
    return WaitFor([&] { return process.Stderr().find(text) != std::string::npos; });
  }

  Cluster cluster_;
};

TEST_F(SecurityTest, KeygenWritesAPrivatePairAndAPublicKey) {
  EXPECT_THAT(ReadFile(Key("worker.key")), HasSubstr("secret-key = \""));
  EXPECT_THAT(ReadFile(Key("worker.pub")), ::testing::StartsWith("public-key = \""));
  EXPECT_EQ(PublicKeyOf(Key("worker.pub")).size(), 40u);
  CommandResult again =
      RunCommand({JOBQ_CLI_BIN, "keygen", "--out-dir", cluster_.dir().path(), "worker"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("exists already"));
}

TEST_F(SecurityTest, AllowedProducerAndWorkerRunAJob) {
  StartCurveBroker();
  cluster_.StartWorker("w1", WorkerKeys("worker"));
  CommandResult run = JobqAs("producer", {"submit", "echo", "--arg", "n=5", "--wait"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"n\":5"));
  EXPECT_EQ(Refused("frontend"), 0);
  EXPECT_EQ(Refused("backend"), 0);
}

TEST_F(SecurityTest, AnUnknownProducerKeyIsRefusedAndCounted) {
  StartCurveBroker();
  CommandResult run = JobqAs("stranger", {"submit", "noop"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(std::string("refused this producer's key ") +
                                 PublicKeyOf(Key("stranger.pub")) +
                                 ": add it to the broker's --producer-keys"));
  EXPECT_TRUE(WaitFor([&] { return Refused("frontend") >= 1; }));
  EXPECT_EQ(Refused("backend"), 0);
  EXPECT_TRUE(StderrSays(cluster_.broker(), PublicKeyOf(Key("stranger.pub"))))
      << "the broker logs the refused key";
}

TEST_F(SecurityTest, KeysOnlyWorkOnTheirOwnSocket) {
  StartCurveBroker();
  CommandResult run = JobqAs("worker", {"submit", "noop"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(std::string("refused this producer's key ") +
                                 PublicKeyOf(Key("worker.pub"))));
  EXPECT_TRUE(WaitFor([&] { return Refused("frontend") >= 1; }));

  Process& worker = cluster_.StartWorker("w-as-producer", WorkerKeys("producer"));
  EXPECT_TRUE(StderrSays(worker, std::string("refused this worker's key ") +
                                     PublicKeyOf(Key("producer.pub")) +
                                     ": add it to the broker's --worker-keys"));
  EXPECT_TRUE(WaitFor([&] { return Refused("backend") >= 1; }));
  EXPECT_TRUE(worker.Running()) << "a refused worker keeps retrying";
  EXPECT_TRUE(cluster_.WaitForWorkers(0));
}

TEST_F(SecurityTest, PlaintextClientsAreRefused) {
  StartCurveBroker();
  CommandResult run = cluster_.Jobq({"submit", "noop", "--connect-timeout", "20"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("requires CURVE authentication"));
  EXPECT_THAT(run.err, HasSubstr("--broker-key"));
  // libzmq refuses these in the handshake, before asking the ZAP handler.
  // (Which of the two log lines depends on who sees the mismatch first.)
  EXPECT_TRUE(WaitFor([&] { return Refused("frontend") >= 1; }));
  EXPECT_EQ(Refused("backend"), 0);
  EXPECT_TRUE(StderrSays(cluster_.broker(), "auth_refused"));

  Process& worker = cluster_.StartWorker("plain");
  EXPECT_TRUE(StderrSays(worker, "requires CURVE authentication"));
  EXPECT_TRUE(worker.Running());
  EXPECT_TRUE(cluster_.WaitForWorkers(0));
  EXPECT_TRUE(WaitFor([&] { return Refused("backend") >= 1; }));
}

TEST_F(SecurityTest, AWrongBrokerKeyIsReported) {
  StartCurveBroker();
  Process& worker = cluster_.StartWorker("w-wrong", WorkerKeys("worker", "stranger.pub"));
  EXPECT_TRUE(StderrSays(worker, "--broker-key is not its public key"));
  EXPECT_TRUE(worker.Running());
  EXPECT_TRUE(WaitFor([&] { return Refused("backend") >= 1; }));
  EXPECT_EQ(Refused("frontend"), 0);
  EXPECT_TRUE(StderrSays(cluster_.broker(), "is not this broker's public key"));

  CommandResult run = cluster_.Jobq(
      {"--broker-key", Key("stranger.pub"), "--curve-key", Key("producer.key"), "submit", "noop"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--broker-key is not its public key"));
  EXPECT_TRUE(WaitFor([&] { return Refused("frontend") >= 1; }));
}

TEST_F(SecurityTest, AProducerNeedsBothKeyFiles) {
  StartCurveBroker();
  CommandResult run = cluster_.Jobq({"--broker-key", Key("broker.pub"), "submit", "noop"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--curve-key"));
}

TEST_F(SecurityTest, ProtectedModeRefusesAnOpenListenerWithoutKeys) {
  CommandResult refused =
      RunCommand({JOBQ_BROKER_BIN, "--frontend", "tcp://0.0.0.0:*", "--backend",
                  "tcp://127.0.0.1:*", "--admin", "127.0.0.1:0", "--store", "memory"},
                 "", std::chrono::seconds(30));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("refusing to listen on tcp://0.0.0.0:*"));
  EXPECT_THAT(refused.err, HasSubstr("jobq keygen"));
  EXPECT_THAT(refused.err, HasSubstr("--insecure"));

  const std::string ready = cluster_.dir().File("insecure-ready");
  Process broker(
      {JOBQ_BROKER_BIN, "--frontend", "tcp://0.0.0.0:*", "--backend", "tcp://127.0.0.1:*",
       "--admin", "127.0.0.1:0", "--store", "memory", "--insecure", "--ready-file", ready},
      cluster_.dir().File("insecure-broker"));
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(ready).empty() || !broker.Running(); }));
  EXPECT_TRUE(broker.Running()) << broker.Stderr();
  EXPECT_THAT(broker.Stderr(), HasSubstr("insecure"));
  EXPECT_THAT(broker.Stderr(), HasSubstr("tcp://0.0.0.0:*"));

  // CURVE on is protection enough for an open listener.
  const std::string curve_ready = cluster_.dir().File("curve-ready");
  Process curve_broker(
      {JOBQ_BROKER_BIN, "--frontend", "tcp://0.0.0.0:*", "--backend", "tcp://0.0.0.0:*", "--admin",
       "127.0.0.1:0", "--store", "memory", "--curve-secret-key", Key("broker.key"),
       "--producer-keys", Key("producers.allow"), "--worker-keys", Key("workers.allow"),
       "--ready-file", curve_ready},
      cluster_.dir().File("curve-broker"));
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(curve_ready).empty() || !curve_broker.Running(); }));
  EXPECT_TRUE(curve_broker.Running()) << curve_broker.Stderr();
}

TEST_F(SecurityTest, HalfACurveConfigurationStopsTheBroker) {
  CommandResult run = RunCommand({JOBQ_BROKER_BIN, "--curve-secret-key", Key("broker.key"),
                                  "--store", "memory", "--admin", "127.0.0.1:0"},
                                 "", std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--producer-keys"));
  WriteFile(Key("bad.allow"), ReadFile(Key("worker.pub")) + "not a key\n");
  run = RunCommand({JOBQ_BROKER_BIN, "--curve-secret-key", Key("broker.key"), "--producer-keys",
                    Key("producers.allow"), "--worker-keys", Key("bad.allow"), "--store", "memory",
                    "--admin", "127.0.0.1:0"},
                   "", std::chrono::seconds(30));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(Key("bad.allow") + ":2:"));
}

}  // namespace
}  // namespace jobq::testing
