// The CLI's admin credentials: where the token comes from, the TLS flags,
// and the hints printed when the broker refuses a call.
#include "producer/cli/admin_credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "producer/cli/admin_commands.h"
#include "producer/cli/exit_code.h"

namespace jobq::cli {
namespace {

// A file with `content`, removed at destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/jobq-cred-XXXXXX";
    const int fd = mkstemp(pattern.data());
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

class FakeEnv {
 public:
  explicit FakeEnv(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto found = values_.find(name);
      return found == values_.end() ? nullptr : found->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> values_;
};

FakeEnv MakeEnv(std::map<std::string, std::string> values) { return FakeEnv(std::move(values)); }

absl::StatusOr<AdminCredentials> Resolve(const AdminCredentialFlags& flags, const FakeEnv& env,
                                         const std::string& address = "127.0.0.1:50051") {
  return ResolveAdminCredentials(flags, address, env.lookup());
}

TEST(AdminCredentialsTest, NothingGivenMeansPlaintextWithoutToken) {
  auto credentials = Resolve({}, MakeEnv({}));
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->token, "");
  EXPECT_EQ(credentials->ca_pem, "");
}

TEST(AdminCredentialsTest, TokenFromTheEnvironment) {
  auto credentials = Resolve({}, MakeEnv({{"JOBQ_TOKEN", " secret-token-0123456789\n"}}));
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->token, "secret-token-0123456789");
  EXPECT_EQ(credentials->token_source, "JOBQ_TOKEN");
}

TEST(AdminCredentialsTest, TokenFileFirstLineTrimmed) {
  TempFile file("  file-token-0123456789  \nsecond line ignored\n");
  auto from_env = Resolve({}, MakeEnv({{"JOBQ_TOKEN_FILE", file.path()}}));
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->token, "file-token-0123456789");
  // The flag beats JOBQ_TOKEN, which beats JOBQ_TOKEN_FILE.
  AdminCredentialFlags flags;
  flags.token_file = file.path();
  auto from_flag = Resolve(flags, MakeEnv({{"JOBQ_TOKEN", "env-token-0123456789"}}));
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->token, "file-token-0123456789");
  auto env_first = Resolve(
      {}, MakeEnv({{"JOBQ_TOKEN", "env-token-0123456789"}, {"JOBQ_TOKEN_FILE", file.path()}}));
  ASSERT_TRUE(env_first.ok());
  EXPECT_EQ(env_first->token, "env-token-0123456789");
}

TEST(AdminCredentialsTest, UnreadableOrEmptyTokenFile) {
  AdminCredentialFlags flags;
  flags.token_file = "/nonexistent/jobq.token";
  auto missing = Resolve(flags, MakeEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read the token file /nonexistent/jobq.token"),
            std::string::npos);
  TempFile empty("\n\n");
  flags.token_file = empty.path();
  auto blank = Resolve(flags, MakeEnv({}));
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.status().message().find("is empty"), std::string::npos);
}

TEST(AdminCredentialsTest, TokenWithSpacesIsRefused) {
  auto credentials = Resolve({}, MakeEnv({{"JOBQ_TOKEN", "two words-0123456789"}}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.status().message().find("printable ASCII"), std::string::npos);
}

TEST(AdminCredentialsTest, TlsFromFlagOrEnvironment) {
  TempFile ca(kPem);
  AdminCredentialFlags flags;
  flags.ca_file = ca.path();
  flags.tls_name = "broker.internal";
  auto credentials = Resolve(flags, MakeEnv({}));
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->ca_pem, kPem);
  EXPECT_EQ(credentials->tls_name, "broker.internal");
  auto from_env = Resolve({}, MakeEnv({{"JOBQ_ADMIN_CA", ca.path()}}));
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->ca_pem, kPem);
}

TEST(AdminCredentialsTest, BadCaFiles) {
  AdminCredentialFlags flags;
  flags.ca_file = "/nonexistent/ca.pem";
  auto missing = Resolve(flags, MakeEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read --admin-ca"), std::string::npos);
  TempFile not_pem("hello\n");
  flags.ca_file = not_pem.path();
  auto garbage = Resolve(flags, MakeEnv({}));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("no PEM certificate"), std::string::npos);
}

TEST(AdminCredentialsTest, TlsNameNeedsCa) {
  AdminCredentialFlags flags;
  flags.tls_name = "broker.internal";
  auto credentials = Resolve(flags, MakeEnv({}));
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.status().message().find("--admin-ca"), std::string::npos);
}

TEST(AdminCredentialsTest, NoTokenInClearTextOffLoopback) {
  const FakeEnv env = MakeEnv({{"JOBQ_TOKEN", "secret-token-0123456789"}});
  auto credentials = Resolve({}, env, "10.0.0.5:50051");
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.status().message().find("clear text"), std::string::npos);
  EXPECT_TRUE(Resolve({}, env, "localhost:50051").ok());
  TempFile ca(kPem);
  AdminCredentialFlags flags;
  flags.ca_file = ca.path();
  EXPECT_TRUE(Resolve(flags, env, "10.0.0.5:50051").ok());
}

TEST(AdminCredentialsTest, HintsAndExitCodes) {
  AdminCredentials none;
  AdminCredentials with_token;
  with_token.token = "secret-token-0123456789";
  with_token.token_source = "JOBQ_TOKEN";
  const grpc::Status missing(grpc::StatusCode::UNAUTHENTICATED, "missing bearer token");
  EXPECT_NE(AdminFailureHint(missing, none, true).find("JOBQ_TOKEN"), std::string::npos);
  EXPECT_NE(AdminFailureHint(missing, with_token, true).find("not in the broker's"),
            std::string::npos);
  const grpc::Status forbidden(grpc::StatusCode::PERMISSION_DENIED, "read-only");
  EXPECT_NE(AdminFailureHint(forbidden, with_token, true).find("\"admin\" line"),
            std::string::npos);
  const grpc::Status handshake(
      grpc::StatusCode::UNAVAILABLE,
      "failed to connect: Ssl handshake failed: CERTIFICATE_VERIFY_FAILED");
  AdminCredentials tls;
  tls.ca_pem = kPem;
  tls.ca_file = "ca.pem";
  EXPECT_NE(AdminFailureHint(handshake, tls, false).find("--admin-ca ca.pem"), std::string::npos);
  const grpc::Status closed(grpc::StatusCode::UNAVAILABLE, "Socket closed");
  EXPECT_NE(AdminFailureHint(closed, none, false).find("--admin-ca"), std::string::npos);
  EXPECT_EQ(AdminFailureHint(closed, none, true), "");  // the broker's own answer

  EXPECT_EQ(ExitCodeForRpc(missing), kExitAuth);
  EXPECT_EQ(ExitCodeForRpc(forbidden), kExitAuth);
  EXPECT_EQ(ExitCodeForRpc(closed), kExitUsage);
}

}  // namespace
}  // namespace jobq::cli
