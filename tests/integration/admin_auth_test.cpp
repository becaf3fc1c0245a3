// The admin service over TLS with bearer tokens (jobq-broker
// --admin-tls-cert/--admin-tls-key/--admin-tokens/--health), against a real
// broker and the real jobq CLI, and protected mode for --admin. The
// certificate is made at test time with the openssl command.

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "jobq/admin.grpc.pb.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/wait_for.h"

namespace jobq::testing {
namespace {

constexpr char kReadToken[] = "read-7c1e0b5f3a9d4e2b8c6a";
constexpr char kAdminToken[] = "admin-2f8d6b0e4c1a9e7d5b3f";
constexpr auto kCallTimeout = std::chrono::seconds(10);

// --- helpers ---

// One unary call by method name with raw protobuf bytes: reaches every RPC
// of a service (and grpc.health.v1, whose C++ stubs Debian does not ship)
// without generated code.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& request_bytes, const std::string& token = "",
                     std::string* response_bytes = nullptr) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  if (!token.empty()) {
    context.AddMetadata("authorization", std::string("Bearer ") + token);
  }
  grpc::CompletionQueue queue;
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, method, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  if (status.ok() && response_bytes != nullptr) {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    response_bytes->clear();
    for (const grpc::Slice& part : slices) {
      response_bytes->append(reinterpret_cast<const char*>(part.begin()), part.size());
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

// grpc.health.v1 Check of `service`: the status enum (1 SERVING, 2
// NOT_SERVING), or -1 with the call's failure in *failure.
int HealthCheck(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                grpc::Status* failure = nullptr) {
  std::string request;
  if (!service.empty()) {
    request = std::string(1, '\x0a') + static_cast<char>(service.size()) + service;
  }
  std::string response;
  grpc::Status status = RawCall(channel, "/grpc.health.v1.Health/Check", request, "", &response);
  if (failure != nullptr) {
    *failure = status;
  }
  if (!status.ok()) {
    return -1;
  }
  if (response.empty()) {
    return 0;  // UNKNOWN, the default value
  }
  return response.size() == 2 && response[0] == '\x08' ? response[1] : -1;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const std::string& ca) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca;
  return grpc::CreateChannel(address, grpc::SslCredentials(options));
}

std::shared_ptr<grpc::Channel> PlainChannel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

struct Broker {
  std::unique_ptr<Process> process;
  nlohmann::json ready;
  std::string admin() const { return ready.value("admin", ""); }
  std::string health() const { return ready.value("health", ""); }
  std::string metrics() const { return ready.value("metrics", ""); }
  std::string frontend() const { return ready.value("frontend", ""); }
};

// --- the fixture: one TLS + tokens broker for the suite ---

class AdminAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // An EC key: quick to make. The certificate names both ways the tests
    // reach the broker.
    CommandResult made =
        RunCommand({JOBQ_OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", dir_->File("admin.key"), "-out", dir_->File("admin.crt")},
                   "", std::chrono::seconds(60));
    ASSERT_EQ(made.exit_code, 0) << "openssl (scripts/setup.sh installs it): " << made.err;
    // A second, unrelated certificate: a CA the broker's is not signed by.
    made = RunCommand(
        {JOBQ_OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=someone-else", "-keyout", dir_->File("other.key"),
         "-out", dir_->File("other.crt")},
        "", std::chrono::seconds(60));
    ASSERT_EQ(made.exit_code, 0) << made.err;
    WriteFile(dir_->File("admin.tokens"),
              std::string("# dashboards\nread ") + kReadToken + "\n\nadmin " + kAdminToken + "\n");
    WriteFile(dir_->File("read.token"), std::string(kReadToken) + "\n");
    ca_ = new std::string(ReadFile(dir_->File("admin.crt")));
  }

  static void TearDownTestSuite() {
    delete ca_;
    delete dir_;
  }

  // A broker on loopback with TLS, tokens, --health and --metrics.
  Broker StartSecureBroker(const std::string& name) {
    return StartBroker(name, {"--admin-tls-cert", dir_->File("admin.crt"), "--admin-tls-key",
                              dir_->File("admin.key"), "--admin-tokens", dir_->File("admin.tokens"),
                              "--health", "127.0.0.1:0", "--metrics", "127.0.0.1:0"});
  }

  static Broker StartBroker(const std::string& name, std::vector<std::string> extra,
                            const std::string& admin = "127.0.0.1:0") {
    const std::string ready_file = dir_->File(name + ".ready");
    std::vector<std::string> argv = {JOBQ_BROKER_BIN, "--frontend",        "tcp://127.0.0.1:*",
                                     "--backend",     "tcp://127.0.0.1:*", "--admin",
                                     admin,           "--store",           "memory",
                                     "--ready-file",  ready_file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Broker broker;
    broker.process = std::make_unique<Process>(argv, dir_->File(name));
    const bool ready =
        WaitFor([&] { return !ReadFile(ready_file).empty() || !broker.process->Running(); });
    if (ready && broker.process->Running()) {
      broker.ready = nlohmann::json::parse(ReadFile(ready_file));
    }
    return broker;
  }

  // `jobq ARGS...` against `broker`'s admin address with `env` added.
  static CommandResult Jobq(const Broker& broker, std::vector<std::string> args,
                            std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), JOBQ_CLI_BIN);
    env.emplace("JOBQ_ADMIN", broker.admin());
    env.emplace("JOBQ_BROKER", broker.frontend());
    return RunCommand(args, "", std::chrono::seconds(60), env);
  }

  static std::map<std::string, std::string> Tls(const std::string& token = "") {
    std::map<std::string, std::string> env = {{"JOBQ_ADMIN_CA", dir_->File("admin.crt")}};
    if (!token.empty()) {
      env["JOBQ_TOKEN"] = token;
    }
    return env;
  }

  static double Refused(const Broker& broker, const std::string& reason) {
    return ScrapeSample(broker.metrics(),
                        "jobq_admin_auth_refused_total{reason=\"" + reason + "\"}");
  }

  static TempDir* dir_;
  static std::string* ca_;
};

TempDir* AdminAuthTest::dir_ = nullptr;
std::string* AdminAuthTest::ca_ = nullptr;

// --- the tests ---

TEST_F(AdminAuthTest, ReadTokenReadsOverTls) {
  Broker broker = StartSecureBroker("read");
  ASSERT_FALSE(broker.admin().empty()) << broker.process->Stderr();
  CommandResult status = Jobq(broker, {"status", "--json"}, Tls(kReadToken));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(nlohmann::json::parse(status.out).contains("version"));
  // The token from a file, and the flags instead of the environment.
  CommandResult from_file =
      Jobq(broker, {"queues", "--token-file", dir_->File("read.token"), "--admin-ca",
                    dir_->File("admin.crt"), "--admin-tls-name", "localhost"});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_NE(broker.process->Stderr().find("admin_tls=on"), std::string::npos)
      << broker.process->Stderr();
}

TEST_F(AdminAuthTest, MissingTokenIsUnauthenticated) {
  Broker broker = StartSecureBroker("missing");
  ASSERT_FALSE(broker.admin().empty()) << broker.process->Stderr();
  CommandResult status = Jobq(broker, {"status"}, Tls());
  EXPECT_EQ(status.exit_code, 3) << status.err;
  EXPECT_NE(status.err.find("missing bearer token: set JOBQ_TOKEN or --token-file"),
            std::string::npos)
      << status.err;

  // A gRPC client of its own, with the generated stub.
  auto stub = jobq::admin::Admin::NewStub(TlsChannel(broker.admin(), *ca_));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  jobq::admin::GetStatusResponse response;
  grpc::Status rpc = stub->GetStatus(&context, jobq::admin::GetStatusRequest(), &response);
  EXPECT_EQ(rpc.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(rpc.error_message(), "missing bearer token: set JOBQ_TOKEN or --token-file");

  // Every RPC of the service, as compiled from admin.proto: a handler that
  // forgot its check would answer something else.
  const google::protobuf::ServiceDescriptor* service =
      // Through a message of the file: that builds its descriptors, which
      // the generated pool otherwise does lazily.
      jobq::admin::GetStatusRequest::descriptor()->file()->FindServiceByName("Admin");
  ASSERT_NE(service, nullptr);
  auto channel = TlsChannel(broker.admin(), *ca_);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
    grpc::Status refused = RawCall(channel, method, "");
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method << ": " << refused.error_message();
  }
}

TEST_F(AdminAuthTest, UnknownTokenIsUnauthenticated) {
  Broker broker = StartSecureBroker("unknown");
  ASSERT_FALSE(broker.admin().empty()) << broker.process->Stderr();
  CommandResult status = Jobq(broker, {"status"}, Tls("not-a-token-of-this-broker"));
  EXPECT_EQ(status.exit_code, 3) << status.err;
  EXPECT_NE(status.err.find("token not recognised by this broker"), std::string::npos)
      << status.err;
  EXPECT_NE(status.err.find("not in the broker's --admin-tokens file"), std::string::npos)
      << status.err;
  grpc::Status rpc = RawCall(TlsChannel(broker.admin(), *ca_), "/jobq.admin.Admin/GetStatus", "",
                             "nope-nope-nope");
  EXPECT_EQ(rpc.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(rpc.error_message(), "token not recognised by this broker");
}

TEST_F(AdminAuthTest, ReadTokenCannotChangeStateAdminTokenCan) {
  Broker broker = StartSecureBroker("roles");
  ASSERT_FALSE(broker.admin().empty()) << broker.process->Stderr();
  // A job that waits in its queue (no worker), to cancel.
  CommandResult submitted = Jobq(broker, {"submit", "noop"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const std::string id = nlohmann::json::parse(submitted.out).at("id").get<std::string>();

  CommandResult cancel = Jobq(broker, {"cancel", id}, Tls(kReadToken));
  EXPECT_EQ(cancel.exit_code, 3) << cancel.err;
  EXPECT_NE(cancel.err.find("this token is read-only; CancelJobs needs an admin token"),
            std::string::npos)
      << cancel.err;
  EXPECT_NE(cancel.err.find("\"admin\" line"), std::string::npos) << cancel.err;
  CommandResult shutdown = Jobq(broker, {"shutdown", "--now"}, Tls(kReadToken));
  EXPECT_EQ(shutdown.exit_code, 3) << shutdown.err;
  EXPECT_NE(shutdown.err.find("this token is read-only; Shutdown needs an admin token"),
            std::string::npos)
      << shutdown.err;
  EXPECT_TRUE(broker.process->Running());

  // The read token may still look at the job.
  CommandResult job = Jobq(broker, {"job", id, "--json"}, Tls(kReadToken));
  EXPECT_EQ(job.exit_code, 0) << job.err;

  cancel = Jobq(broker, {"cancel", id}, Tls(kAdminToken));
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  shutdown = Jobq(broker, {"shutdown", "--now"}, Tls(kAdminToken));
  EXPECT_EQ(shutdown.exit_code, 0) << shutdown.err;
  std::optional<int> exited = broker.process->WaitExit(std::chrono::seconds(20));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 0);
}

TEST_F(AdminAuthTest, PlaintextClientIsRefused) {
  Broker broker = StartSecureBroker("plaintext");
  ASSERT_FALSE(broker.admin().empty()) << broker.process->Stderr();
  // The token alone, no --admin-ca: the CLI speaks plaintext to a TLS port.
  CommandResult status =
      Jobq(broker, {"status", "--connect-timeout", "3"}, {{"JOBQ_TOKEN", kAdminToken}});
  EXPECT_EQ(status.exit_code, 2) << status.err;
  EXPECT_NE(status.err.find("--admin-ca"), std::string::npos) << status.err;
  grpc::Status rpc =
      RawCall(PlainChannel(broker.admin()), "/jobq.admin.Admin/GetStatus", "", kAdminToken);
  EXPECT_EQ(rpc.error_code(), grpc::StatusCode::UNAVAILABLE) << rpc.error_message();

  // TLS with a CA that did not sign the broker's certificate.
  CommandResult wrong_ca =
      Jobq(broker, {"status", "--connect-timeout", "3"},
           {{"JOBQ_TOKEN", kAdminToken}, {"JOBQ_ADMIN_CA", dir_->File("other.crt")}});
  EXPECT_EQ(wrong_ca.exit_code, 2) << wrong_ca.err;
  EXPECT_NE(wrong_ca.err.find("--admin-ca"), std::string::npos) << wrong_ca.err;
}

TEST_F(AdminAuthTest, HealthAnswersWithoutCredentials) {
  Broker broker = StartSecureBroker("health");
  ASSERT_FALSE(broker.health().empty()) << broker.process->Stderr();
  // The loop publishes SERVING shortly after the ready file: poll for it.
  auto plain = PlainChannel(broker.health());
  EXPECT_TRUE(WaitFor([&] { return HealthCheck(plain, "") == 1; }));
  EXPECT_EQ(HealthCheck(plain, "jobq.admin.Admin"), 1);
  // The health port serves nothing else.
  grpc::Status admin = RawCall(plain, "/jobq.admin.Admin/GetStatus", "", kAdminToken);
  EXPECT_EQ(admin.error_code(), grpc::StatusCode::UNIMPLEMENTED) << admin.error_message();
  // On the TLS port, health needs TLS but no token.
  EXPECT_EQ(HealthCheck(TlsChannel(broker.admin(), *ca_), ""), 1);
}

TEST_F(AdminAuthTest, RefusalsAreCounted) {
  Broker broker = StartSecureBroker("counted");
  ASSERT_FALSE(broker.metrics().empty()) << broker.process->Stderr();
  for (const char* reason : {"missing", "unknown", "forbidden"}) {
    EXPECT_EQ(Refused(broker, reason), 0) << reason;
  }
  auto channel = TlsChannel(broker.admin(), *ca_);
  EXPECT_EQ(RawCall(channel, "/jobq.admin.Admin/GetStatus", "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(RawCall(channel, "/jobq.admin.Admin/GetStatus", "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      RawCall(channel, "/jobq.admin.Admin/ListJobs", "", "wrong-token-wrong-token").error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(RawCall(channel, "/jobq.admin.Admin/PurgeQueue", "", kReadToken).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Refused(broker, "missing"), 2);
  EXPECT_EQ(Refused(broker, "unknown"), 1);
  EXPECT_EQ(Refused(broker, "forbidden"), 1);
  // Also in the status, for `jobq status --json`.
  CommandResult status = Jobq(broker, {"status", "--json"}, Tls(kReadToken));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out)["admin_auth_refused"]["missing"], "2");
}

TEST_F(AdminAuthTest, ProtectedModeRefusesAnOpenAdminOffLoopback) {
  Broker refused = StartBroker("open", {}, "0.0.0.0:0");
  std::optional<int> exited = refused.process->WaitExit(std::chrono::seconds(20));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 2);
  const std::string err = refused.process->Stderr();
  EXPECT_NE(err.find("refusing to serve admin RPCs on 0.0.0.0:0 without TLS and --admin-tokens"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("--insecure"), std::string::npos) << err;

  // Tokens in clear text: refused, --insecure or not.
  Broker clear = StartBroker("clear", {"--admin-tokens", dir_->File("admin.tokens"), "--insecure"},
                             "0.0.0.0:0");
  exited = clear.process->WaitExit(std::chrono::seconds(20));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 2);
  EXPECT_NE(clear.process->Stderr().find("clear text"), std::string::npos)
      << clear.process->Stderr();

  Broker insecure = StartBroker("insecure", {"--insecure"}, "0.0.0.0:0");
  ASSERT_TRUE(insecure.process->Running()) << insecure.process->Stderr();
  ASSERT_FALSE(insecure.admin().empty());
  // Logged just after the ready file is written: it may be on its way.
  EXPECT_TRUE(WaitFor([&] {
    return insecure.process->Stderr().find("WARN broker admin_insecure") != std::string::npos;
  })) << insecure.process->Stderr();

  // With TLS and tokens it starts without a warning.
  Broker secure =
      StartBroker("secure",
                  {"--admin-tls-cert", dir_->File("admin.crt"), "--admin-tls-key",
                   dir_->File("admin.key"), "--admin-tokens", dir_->File("admin.tokens")},
                  "0.0.0.0:0");
  ASSERT_TRUE(secure.process->Running()) << secure.process->Stderr();
  EXPECT_EQ(secure.process->Stderr().find("admin_insecure"), std::string::npos);
}

TEST_F(AdminAuthTest, BadTokensFileStopsTheStart) {
  WriteFile(dir_->File("bad.tokens"), "admin 0123456789abcdef0123\nread short\n");
  Broker broker = StartBroker("badtokens", {"--admin-tokens", dir_->File("bad.tokens")});
  std::optional<int> exited = broker.process->WaitExit(std::chrono::seconds(20));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 2);
  EXPECT_NE(broker.process->Stderr().find(dir_->File("bad.tokens") + ":2: token too short"),
            std::string::npos)
      << broker.process->Stderr();
}

}  // namespace
}  // namespace jobq::testing
