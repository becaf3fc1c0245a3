// The admin service's tokens file, role table, token check and protected
// mode: pure functions, no sockets.
#include "broker/admin/admin_auth.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "broker/admin/admin_tokens.h"
#include "broker/admin/rpc_roles.h"
#include "broker/admin_flags.h"
#include "jobq/admin.grpc.pb.h"
#include "tests/unit/broker/protected_mode_flags.h"

namespace jobq::broker::admin {
namespace {

constexpr char kReadToken[] = "read-token-0123456789abcdef";
constexpr char kAdminToken[] = "admin-token-0123456789abcdef";

// --- the tokens file ---

TEST(AdminTokensTest, ParsesRolesCommentsAndBlankLines) {
  auto tokens = ParseAdminTokens(
      "# operators\n"
      "admin admin-token-0123456789abcdef\n"
      "\n"
      "   \t\n"
      "  # dashboards\n"
      "read\tread-token-0123456789abcdef  \r\n",
      "tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].role, AdminRole::kAdmin);
  EXPECT_EQ((*tokens)[0].token, kAdminToken);
  EXPECT_EQ((*tokens)[1].role, AdminRole::kRead);
  EXPECT_EQ((*tokens)[1].token, kReadToken);
}

TEST(AdminTokensTest, ABadLineNamesFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;  // in the message
  };
  const Case cases[] = {
      {"admin admin-token-0123456789abcdef\nwrite 0123456789abcdef0123\n",
       "/etc/jobq/tokens:2: unknown role \"write\""},
      {"read\n", "/etc/jobq/tokens:1: expected \"read TOKEN\" or \"admin TOKEN\""},
      {"read a b\n", "/etc/jobq/tokens:1: expected"},
      {"read abc-token-0123456789 # dashboards\n", "/etc/jobq/tokens:1: expected"},
      {"\n\nadmin short\n", "/etc/jobq/tokens:3: token too short (5 characters; at least 16"},
      {"read 0123456789abcde\n", "token too short (15 characters"},
      {"read 0123456789abcdef\nadmin 0123456789abcdef\n",
       "/etc/jobq/tokens:2: this token is "
       "listed twice"},
      {"read 0123456789abcdef\x01\n", "printable ASCII"},
  };
  for (const Case& c : cases) {
    auto tokens = ParseAdminTokens(c.text, "/etc/jobq/tokens");
    ASSERT_FALSE(tokens.ok()) << c.text;
    EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(tokens.status().message().find(c.expected), std::string::npos)
        << tokens.status().message();
  }
  auto too_long = ParseAdminTokens("read " + std::string(5000, 'x') + "\n", "f");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("f:1: token too long"), std::string::npos);
}

TEST(AdminTokensTest, ShortTokenSaysWhyAndHowToMakeOne) {
  auto tokens = ParseAdminTokens("admin hunter2\n", "t");
  ASSERT_FALSE(tokens.ok());
  EXPECT_NE(tokens.status().message().find("guessed"), std::string::npos);
  EXPECT_NE(tokens.status().message().find("openssl rand -hex 32"), std::string::npos);
}

TEST(AdminTokensTest, AFileWithoutTokensIsAnError) {
  for (const char* text : {"", "\n\n", "# nothing yet\n"}) {
    auto tokens = ParseAdminTokens(text, "t");
    ASSERT_FALSE(tokens.ok());
    EXPECT_NE(tokens.status().message().find("no tokens"), std::string::npos);
  }
}

TEST(AdminTokensTest, AnUnreadableFileIsNamed) {
  auto tokens = LoadAdminTokens("/nonexistent/jobq/tokens");
  ASSERT_FALSE(tokens.ok());
  EXPECT_NE(tokens.status().message().find("/nonexistent/jobq/tokens"), std::string::npos);
}

// --- the role table ---

// Every RPC of the service as compiled from admin.proto.
std::set<std::string> ServiceRpcs() {
  const google::protobuf::ServiceDescriptor* service =
      // Through a message of the file: that builds its descriptors, which
      // the generated pool otherwise does lazily.
      jobq::admin::GetStatusRequest::descriptor()->file()->FindServiceByName("Admin");
  EXPECT_NE(service, nullptr);
  std::set<std::string> rpcs;
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    rpcs.insert(service->method(i)->name());
  }
  return rpcs;
}

TEST(RpcRolesTest, EveryRpcOfTheServiceIsInTheTableAndNothingElse) {
  const std::set<std::string> rpcs = ServiceRpcs();
  for (const std::string& rpc : rpcs) {
    EXPECT_TRUE(RequiredRole(rpc).has_value())
        << rpc << " is in admin.proto but not in broker/admin/rpc_roles.cpp: give it a role";
  }
  std::set<std::string> table;
  for (const auto& [name, role] : AdminRpcRoles()) {
    EXPECT_TRUE(rpcs.count(std::string(name))) << name << " is in the table but not the service";
    EXPECT_TRUE(table.insert(std::string(name)).second) << name << " is in the table twice";
  }
}

TEST(RpcRolesTest, ReadRpcsChangeNothingAdminRpcsChangeState) {
  for (const char* rpc : {"GetStatus", "WatchStatus", "ListQueues", "ListWorkers", "ListJobs",
                          "GetJob", "ListLimits"}) {
    EXPECT_EQ(RequiredRole(rpc), AdminRole::kRead) << rpc;
  }
  for (const char* rpc : {"CancelJobs", "RetryJobs", "PurgeQueue", "PauseQueue", "ResumeQueue",
                          "DrainWorker", "Shutdown", "SetLimit", "ClearLimit"}) {
    EXPECT_EQ(RequiredRole(rpc), AdminRole::kAdmin) << rpc;
  }
}

TEST(RpcRolesTest, AnUnknownRpcHasNoRole) {
  EXPECT_FALSE(RequiredRole("DeleteEverything").has_value());
  EXPECT_FALSE(RequiredRole("").has_value());
  EXPECT_FALSE(RequiredRole("getstatus").has_value());
}

// --- the check ---

AdminAuth WithTokens() {
  return AdminAuth({{AdminRole::kRead, kReadToken}, {AdminRole::kAdmin, kAdminToken}});
}

TEST(AdminAuthTest, WithoutTokensEverythingIsAllowed) {
  AdminAuth open;
  AuthRefusal refusal;
  EXPECT_FALSE(open.enabled());
  EXPECT_TRUE(open.Decide(std::nullopt, "Shutdown", &refusal).ok());
  EXPECT_EQ(refusal, AuthRefusal::kNone);
}

TEST(AdminAuthTest, MissingOrMalformedHeader) {
  const AdminAuth auth = WithTokens();
  for (std::optional<std::string_view> header :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("Bearer "),
        std::optional<std::string_view>("Basic dXNlcjpwYXNz"),
        std::optional<std::string_view>(kReadToken)}) {
    AuthRefusal refusal;
    const absl::Status status = auth.Decide(header, "GetStatus", &refusal);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(status.message(), "missing bearer token: set JOBQ_TOKEN or --token-file");
    EXPECT_EQ(refusal, AuthRefusal::kMissing);
  }
}

TEST(AdminAuthTest, UnknownToken) {
  const AdminAuth auth = WithTokens();
  for (std::string_view header :
       {"Bearer nope-nope-nope-nope-nope", "Bearer read-token-0123456789abcde",
        "Bearer read-token-0123456789abcdefX", "Bearer  read-token-0123456789abcdef"}) {
    AuthRefusal refusal;
    const absl::Status status = auth.Decide(header, "GetStatus", &refusal);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_EQ(status.message(), "token not recognised by this broker");
    EXPECT_EQ(refusal, AuthRefusal::kUnknown);
  }
}

TEST(AdminAuthTest, RolesAgainstTheTable) {
  const AdminAuth auth = WithTokens();
  const std::string read = std::string("Bearer ") + kReadToken;
  const std::string admin = std::string("bearer ") + kAdminToken;  // scheme in any case
  for (const auto& [rpc, role] : AdminRpcRoles()) {
    AuthRefusal refusal;
    EXPECT_TRUE(auth.Decide(admin, rpc, &refusal).ok()) << rpc;
    const absl::Status as_read = auth.Decide(read, rpc, &refusal);
    if (role == AdminRole::kRead) {
      EXPECT_TRUE(as_read.ok()) << rpc;
    } else {
      EXPECT_EQ(as_read.code(), absl::StatusCode::kPermissionDenied) << rpc;
      EXPECT_EQ(as_read.message(),
                "this token is read-only; " + std::string(rpc) + " needs an admin token");
      EXPECT_EQ(refusal, AuthRefusal::kForbidden);
    }
  }
}

TEST(AdminAuthTest, AnRpcMissingFromTheTableIsDeniedEvenToAdmins) {
  const AdminAuth auth = WithTokens();
  AuthRefusal refusal;
  const absl::Status status =
      auth.Decide(std::string("Bearer ") + kAdminToken, "DeleteEverything", &refusal);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refusal, AuthRefusal::kForbidden);
}

TEST(AdminAuthTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0", 2), "a"));
}

}  // namespace
}  // namespace jobq::broker::admin

namespace jobq::broker {
namespace {

BrokerConfig Admin(const std::string& address, bool tls, bool tokens, bool insecure) {
  BrokerConfig config = testing::ProtectedModeFlags(tls, tokens, insecure);
  config.admin = address;
  return config;
}

TEST(AdminProtectedModeTest, LoopbackIsAlwaysAllowed) {
  for (const char* address : {"127.0.0.1:50051", "127.0.0.1:0", "localhost:1", "[::1]:50051"}) {
    EXPECT_EQ(CheckAdminProtectedMode(Admin(address, false, false, false)), "") << address;
    EXPECT_EQ(CheckAdminProtectedMode(Admin(address, false, true, false)), "") << address;
    EXPECT_EQ(AdminInsecureWarning(Admin(address, false, false, true)), "") << address;
  }
}

TEST(AdminProtectedModeTest, OffLoopbackNeedsTlsAndTokens) {
  for (const char* address :
       {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051", "broker.internal:50051", ":50051"}) {
    const std::string bare = CheckAdminProtectedMode(Admin(address, false, false, false));
    EXPECT_NE(bare.find("refusing to serve admin RPCs on"), std::string::npos) << address;
    EXPECT_NE(bare.find("--admin-tls-cert"), std::string::npos);
    EXPECT_NE(bare.find("--insecure"), std::string::npos);
    EXPECT_NE(CheckAdminProtectedMode(Admin(address, true, false, false)), "") << address;
    EXPECT_EQ(CheckAdminProtectedMode(Admin(address, true, true, false)), "") << address;
    EXPECT_EQ(AdminInsecureWarning(Admin(address, true, true, false)), "") << address;
  }
}

TEST(AdminProtectedModeTest, InsecureStartsWithAWarning) {
  const BrokerConfig config = Admin("0.0.0.0:50051", false, false, true);
  EXPECT_EQ(CheckAdminProtectedMode(config), "");
  EXPECT_NE(AdminInsecureWarning(config).find("0.0.0.0:50051"), std::string::npos);
}

TEST(AdminProtectedModeTest, TokensInClearTextAreRefusedEvenWithInsecure) {
  for (bool insecure : {false, true}) {
    const std::string refusal =
        CheckAdminProtectedMode(Admin("0.0.0.0:50051", false, true, insecure));
    EXPECT_NE(refusal.find("clear text"), std::string::npos) << refusal;
  }
}

TEST(AdminSecurityFlagsTest, CertAndKeyComeTogether) {
  BrokerConfig config;
  config.admin_tls_cert = "admin.crt";
  EXPECT_NE(CheckAdminSecurityFlags(&config).find("--admin-tls-key"), std::string::npos);
  config.admin_tls_cert.clear();
  config.admin_tls_key = "admin.key";
  EXPECT_NE(CheckAdminSecurityFlags(&config).find("--admin-tls-cert"), std::string::npos);
}

TEST(AdminSecurityFlagsTest, ABadTokensFileIsNamed) {
  BrokerConfig config;
  config.admin_tokens_file = "/nonexistent/tokens";
  EXPECT_NE(CheckAdminSecurityFlags(&config).find("--admin-tokens: cannot read"),
            std::string::npos);
}

}  // namespace
}  // namespace jobq::broker
