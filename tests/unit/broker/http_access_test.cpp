// Who may do what on the dashboard (broker/http/access.h, sessions.h,
// http_status.h) and protected mode for --http (broker/admin_flags.h).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "broker/admin/admin_auth.h"
#include "broker/admin_flags.h"
#include "broker/http/access.h"
#include "broker/http/http_status.h"
#include "broker/http/router.h"
#include "broker/http/sessions.h"
#include "tests/unit/broker/protected_mode_flags.h"

namespace jobq::broker::http {
namespace {

using ::testing::HasSubstr;

constexpr const char* kReadToken = "read-token-0123456789abcdef";
constexpr const char* kAdminToken = "admin-token-0123456789abcdef";

admin::AdminAuth Tokens() {
  return admin::AdminAuth(
      {{admin::AdminRole::kRead, kReadToken}, {admin::AdminRole::kAdmin, kAdminToken}});
}

HttpRequest Request(const std::string& method, const std::string& path) {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.headers["host"] = "127.0.0.1:8080";
  return request;
}

AccessDecision Decide(Access& access, const HttpRequest& request, int64_t now_ms = 0) {
  return access.Decide(MatchRoute(request.method, request.path), request, now_ms);
}

TEST(SessionStoreTest, CookiesAreRandomAndFindTheirRole) {
  SessionStore store;
  const NewSession read = store.Create(admin::AdminRole::kRead, 0);
  const NewSession admin = store.Create(admin::AdminRole::kAdmin, 0);
  EXPECT_EQ(read.cookie.size(), 64u);
  EXPECT_EQ(read.csrf.size(), 64u);
  EXPECT_NE(read.cookie, admin.cookie);
  EXPECT_NE(read.cookie, read.csrf);
  EXPECT_EQ(store.Find(read.cookie, 1)->role, admin::AdminRole::kRead);
  EXPECT_EQ(store.Find(admin.cookie, 1)->role, admin::AdminRole::kAdmin);
  EXPECT_EQ(store.Find(read.cookie, 1)->csrf, read.csrf);
  EXPECT_FALSE(store.Find("", 1).has_value());
  EXPECT_FALSE(store.Find(std::string(64, '0'), 1).has_value());
  store.Remove(read.cookie);
  EXPECT_FALSE(store.Find(read.cookie, 1).has_value());
  EXPECT_TRUE(store.Find(admin.cookie, 1).has_value());
}

TEST(SessionStoreTest, IdleAndAbsoluteExpiry) {
  SessionLimits limits;
  limits.idle_ms = 100;
  limits.absolute_ms = 250;
  SessionStore store(limits);
  const NewSession session = store.Create(admin::AdminRole::kRead, 0);
  EXPECT_TRUE(store.Find(session.cookie, 100).has_value());  // used: idle restarts
  EXPECT_TRUE(store.Find(session.cookie, 200).has_value());
  EXPECT_FALSE(store.Find(session.cookie, 251).has_value());  // absolute
  const NewSession idle = store.Create(admin::AdminRole::kRead, 1000);
  EXPECT_FALSE(store.Find(idle.cookie, 1101).has_value());
  EXPECT_EQ(store.size(), 0u);
}

TEST(SessionStoreTest, BoundedByDroppingTheLeastRecentlyUsed) {
  SessionLimits limits;
  limits.sessions_max = 3;
  SessionStore store(limits);
  const NewSession a = store.Create(admin::AdminRole::kRead, 0);
  const NewSession b = store.Create(admin::AdminRole::kRead, 1);
  const NewSession c = store.Create(admin::AdminRole::kRead, 2);
  ASSERT_TRUE(store.Find(a.cookie, 3).has_value());  // b is now the least recent
  const NewSession d = store.Create(admin::AdminRole::kRead, 4);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.Find(b.cookie, 5).has_value());
  EXPECT_TRUE(store.Find(a.cookie, 5).has_value());
  EXPECT_TRUE(store.Find(c.cookie, 5).has_value());
  EXPECT_TRUE(store.Find(d.cookie, 5).has_value());
}

TEST(CookieValueTest, FindsOneCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; jobq_session=abc; b=2", kSessionCookie), "abc");
  EXPECT_EQ(CookieValue("jobq_session=abc", kSessionCookie), "abc");
  EXPECT_EQ(CookieValue("xjobq_session=abc", kSessionCookie), "");
  EXPECT_EQ(CookieValue("", kSessionCookie), "");
}

TEST(OriginTest, SameHostOnly) {
  EXPECT_TRUE(OriginMatchesHost("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(OriginMatchesHost("https://Broker:8080", "broker:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://127.0.0.1:8081", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("null", "127.0.0.1:8080"));
  EXPECT_FALSE(OriginMatchesHost("http://", ""));
}

// A broker with a read and an admin token, and its sessions.
class AccessTest : public ::testing::Test {
 protected:
  // A request carrying `session`'s cookie.
  static HttpRequest SessionRequest(const std::string& method, const std::string& path,
                                    const NewSession& session) {
    HttpRequest request = Request(method, path);
    request.headers["cookie"] = std::string("jobq_session=") + session.cookie;
    return request;
  }

  admin::AdminAuth auth_ = Tokens();
  SessionStore sessions_;
  Access access_{&auth_, &sessions_};
};

TEST_F(AccessTest, PageAssetsAndSessionNeedNoToken) {
  for (const char* path : {"/", "/assets/app.js", "/api/session"}) {
    const AccessDecision decision = Decide(access_, Request("GET", path));
    EXPECT_TRUE(decision.allowed) << path;
    EXPECT_FALSE(decision.caller.authenticated) << path;
  }
}

TEST_F(AccessTest, DataNeedsASessionOrToken) {
  for (const char* path : {"/api/status", "/api/jobs", "/api/events", "/metrics"}) {
    const AccessDecision decision = Decide(access_, Request("GET", path));
    EXPECT_FALSE(decision.allowed) << path;
    EXPECT_EQ(decision.status, 401);
    EXPECT_EQ(decision.refusal, Refusal::kUnauthenticated);
    EXPECT_THAT(decision.message, HasSubstr("POST /api/login"));
  }
  HttpRequest stale = Request("GET", "/api/status");
  stale.headers["cookie"] = "jobq_session=0123";
  EXPECT_THAT(Decide(access_, stale).message, HasSubstr("log in again"));
  HttpRequest unknown = Request("GET", "/api/status");
  unknown.headers["authorization"] = "Bearer not-a-token-of-this-broker";
  EXPECT_EQ(Decide(access_, unknown).status, 401);
  HttpRequest basic = Request("GET", "/api/status");
  basic.headers["authorization"] = "Basic dXNlcjpwYXNz";
  EXPECT_EQ(Decide(access_, basic).status, 401);
}

TEST_F(AccessTest, BearerTokensByRoleWithoutCsrf) {
  HttpRequest read = Request("POST", "/api/queues/q/pause");
  read.headers["authorization"] = std::string("bearer ") + kReadToken;
  const AccessDecision refused = Decide(access_, read);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.refusal, Refusal::kForbidden);
  EXPECT_THAT(refused.message, HasSubstr("PauseQueue needs an admin token"));
  read.method = "GET";
  read.path = "/api/jobs";
  EXPECT_TRUE(Decide(access_, read).allowed);
  HttpRequest admin = Request("POST", "/api/queues/q/pause");
  admin.headers["authorization"] = std::string("Bearer ") + kAdminToken;
  EXPECT_TRUE(Decide(access_, admin).allowed);
}

TEST_F(AccessTest, SessionPostsNeedTheirCsrfToken) {
  const NewSession admin = sessions_.Create(admin::AdminRole::kAdmin, 0);
  HttpRequest post = SessionRequest("POST", "/api/jobs/retry", admin);
  AccessDecision decision = Decide(access_, post);
  EXPECT_EQ(decision.status, 403);
  EXPECT_EQ(decision.refusal, Refusal::kCsrf);
  EXPECT_THAT(decision.message, HasSubstr("X-CSRF-Token is missing"));
  post.headers["x-csrf-token"] = std::string(64, 'a');
  EXPECT_THAT(Decide(access_, post).message, HasSubstr("does not match"));
  post.headers["x-csrf-token"] = admin.csrf;
  EXPECT_TRUE(Decide(access_, post).allowed);
  post.headers["origin"] = "https://evil.example";
  decision = Decide(access_, post);
  EXPECT_EQ(decision.refusal, Refusal::kCsrf);
  EXPECT_THAT(decision.message, HasSubstr("cross-site"));
  post.headers["origin"] = "http://127.0.0.1:8080";
  EXPECT_TRUE(Decide(access_, post).allowed);
}

TEST_F(AccessTest, AReadSessionActsNot) {
  const NewSession read = sessions_.Create(admin::AdminRole::kRead, 0);
  HttpRequest post = SessionRequest("POST", "/api/jobs/cancel", read);
  post.headers["x-csrf-token"] = read.csrf;
  const AccessDecision decision = Decide(access_, post);
  EXPECT_EQ(decision.status, 403);
  EXPECT_EQ(decision.refusal, Refusal::kForbidden);
}

TEST_F(AccessTest, LoginNeedsNoSessionButASameSiteOrigin) {
  HttpRequest login = Request("POST", "/api/login");
  EXPECT_TRUE(Decide(access_, login).allowed);
  login.headers["origin"] = "http://evil.example";
  EXPECT_EQ(Decide(access_, login).refusal, Refusal::kCsrf);
}

TEST(OpenAccessTest, WithoutTokensEveryoneIsAdminButPostsStillNeedTheCsrfToken) {
  admin::AdminAuth open;
  SessionStore sessions;
  Access access(&open, &sessions);
  const AccessDecision session = Decide(access, Request("GET", "/api/session"));
  ASSERT_TRUE(session.caller.authenticated);
  EXPECT_EQ(session.caller.role, admin::AdminRole::kAdmin);
  EXPECT_EQ(session.caller.csrf.size(), 64u);
  HttpRequest post = Request("POST", "/api/queues/q/purge");
  EXPECT_EQ(Decide(access, post).refusal, Refusal::kCsrf);
  post.headers["x-csrf-token"] = session.caller.csrf;
  EXPECT_TRUE(Decide(access, post).allowed);
}

TEST(HttpStatusTest, BrokerErrorsMapToTheContract) {
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kDeadlineExceeded), 503);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kDataLoss), 500);
}

TEST(HttpStatusTest, ErrorJsonEscapesAnything) {
  const std::string text = ErrorJson("<script>alert(\"x\")</script>\n\xff");
  const nlohmann::json parsed = nlohmann::json::parse(text);
  EXPECT_THAT(parsed["error"].get<std::string>(), HasSubstr("<script>alert(\"x\")"));
}

TEST(HttpStatusTest, RefusalNamesAreTheMetricsLabels) {
  std::set<std::string> names;
  for (size_t i = 0; i < kRefusalKinds; ++i) {
    names.insert(std::string(RefusalName(static_cast<Refusal>(i))));
  }
  EXPECT_EQ(names, (std::set<std::string>{"unauthenticated", "forbidden", "csrf", "bad_request",
                                          "not_found", "too_large", "method", "timeout", "busy"}));
  RefusalCounters counters;
  counters.Count(Refusal::kCsrf);
  counters.Count(Refusal::kCsrf);
  ::jobq::admin::HttpRefusals filled;
  counters.Fill(&filled);
  EXPECT_EQ(filled.csrf(), 2u);
  EXPECT_EQ(filled.busy(), 0u);
}

BrokerConfig Http(const std::string& address, bool tls, bool tokens, bool insecure) {
  BrokerConfig config = testing::ProtectedModeFlags(tls, tokens, insecure);
  config.http = address;
  return config;
}

TEST(HttpProtectedModeTest, LoopbackOrNoneIsAlwaysAllowed) {
  for (const char* address : {"", "127.0.0.1:8080", "localhost:0", "[::1]:8080"}) {
    EXPECT_EQ(CheckHttpProtectedMode(Http(address, false, false, false)), "") << address;
    EXPECT_EQ(HttpInsecureWarning(Http(address, false, false, true)), "") << address;
  }
}

TEST(HttpProtectedModeTest, OffLoopbackNeedsTlsAndTokens) {
  for (const char* address : {"0.0.0.0:8080", "10.0.0.5:8080", ":8080"}) {
    const std::string bare = CheckHttpProtectedMode(Http(address, false, false, false));
    EXPECT_THAT(bare, HasSubstr("refusing to serve the dashboard on"));
    EXPECT_THAT(bare, HasSubstr("--admin-tls-cert"));
    EXPECT_THAT(bare, HasSubstr("--insecure"));
    EXPECT_NE(CheckHttpProtectedMode(Http(address, true, false, false)), "");
    EXPECT_EQ(CheckHttpProtectedMode(Http(address, true, true, false)), "");
    EXPECT_EQ(CheckHttpProtectedMode(Http(address, false, false, true)), "");
    EXPECT_THAT(HttpInsecureWarning(Http(address, false, false, true)), HasSubstr(address));
    for (bool insecure : {false, true}) {
      EXPECT_THAT(CheckHttpProtectedMode(Http(address, false, true, insecure)),
                  HasSubstr("clear text"));
    }
  }
}

}  // namespace
}  // namespace jobq::broker::http
