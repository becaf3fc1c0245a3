// The dashboard's HTTP server (jobq-broker --http, issue 19) with the real
// binaries over real HTTP: the page and its files, every API route and its
// JSON (the CLI's --json), logins, CSRF, roles, every refusal and its
// counter in /metrics, the event stream, slow and stalled clients while
// jobs keep flowing, TLS, protected mode at start, and --metrics beside it.
// Waits poll a condition with a deadline; nothing asserts on timing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_for.h"

namespace jobq::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kReadToken = "read-token-0123456789abcdef-dashboard";
constexpr const char* kAdminToken = "admin-token-0123456789abcdef-dashboard";
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

std::string Bearer(const std::string& token) { return "Authorization: Bearer " + token; }

nlohmann::json Json(const HttpResult& result) {
  nlohmann::json json = nlohmann::json::parse(result.body, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << result.code << " " << result.body;
  return json;
}

// A broker with --http and a tokens file (a read and an admin token); the
// CLI calls it with the admin token.
class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(cluster_.dir().File("admin.tokens"),
              std::string("read ") + kReadToken + "\nadmin " + kAdminToken + "\n");
    cluster_.StartBroker({"--http", "127.0.0.1:0", "--admin-tokens",
                          cluster_.dir().File("admin.tokens"), "--metrics", "127.0.0.1:0",
                          "--store", "memory"});
    cluster_.SetJobqEnv({{"JOBQ_TOKEN", kAdminToken}});
    ASSERT_FALSE(cluster_.http().empty()) << "no \"http\" in the ready file";
    base_ = "http://" + cluster_.http();
  }

  HttpResult Get(const std::string& path, std::vector<std::string> headers = {}) {
    HttpCallOptions options;
    options.headers = std::move(headers);
    return HttpCall(base_ + path, options);
  }
  HttpResult Post(const std::string& path, const std::string& body,
                  std::vector<std::string> headers = {}) {
    HttpCallOptions options;
    options.method = "POST";
    options.body = body;
    options.headers = std::move(headers);
    options.headers.push_back("Content-Type: application/json");
    return HttpCall(base_ + path, options);
  }

  // Logs in with `token`: the headers a page's requests then carry (the
  // cookie and the CSRF token).
  std::vector<std::string> LogIn(const std::string& token) {
    HttpResult login = Post("/api/login", nlohmann::json{{"token", token}}.dump());
    EXPECT_EQ(login.code, 200) << login.body;
    EXPECT_EQ(login.set_cookies.size(), 1u);
    const std::string cookie = login.set_cookies.empty()
                                   ? ""
                                   : login.set_cookies[0].substr(0, login.set_cookies[0].find(';'));
    HttpResult session = Get("/api/session", {"Cookie: " + cookie});
    const std::string csrf = Json(session).value("csrf", "");
    EXPECT_EQ(csrf.size(), 64u) << session.body;
    return {"Cookie: " + cookie, "X-CSRF-Token: " + csrf};
  }

  double Refused(const std::string& reason) {
    return ScrapeSample(cluster_.metrics(), "jobq_http_refused_total{reason=\"" + reason + "\"}");
  }

  std::string SubmitOne(std::vector<std::string> args) {
    args.insert(args.begin(), "submit");
    CommandResult run = cluster_.Jobq(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<nlohmann::json> lines = JsonLines(run.out);
    return lines.size() == 1 ? lines[0].value("id", "") : "";
  }

  Cluster cluster_;
  std::string base_;
};

TEST_F(DashboardTest, ServesThePageAndEveryEmbeddedFileWithSecurityHeaders) {
  HttpResult page = Get("/");
  ASSERT_EQ(page.code, 200) << page.error;
  EXPECT_THAT(page.headers["content-type"], StartsWith("text/html"));
  EXPECT_EQ(page.body, ReadFile(std::string(JOBQ_DASHBOARD_DIR) + "/index.html"));
  EXPECT_EQ(page.headers["content-security-policy"], kCsp);
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(page.headers["x-frame-options"], "DENY");
  EXPECT_EQ(page.headers["referrer-policy"], "no-referrer");
  // Every file under broker/dashboard/, byte for byte, with an ETag that
  // makes a reload cost a 304.
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(JOBQ_DASHBOARD_DIR)) {
    if (!entry.is_regular_file() || entry.path().filename().string()[0] == '.') {
      continue;
    }
    const std::string relative =
        std::filesystem::relative(entry.path(), JOBQ_DASHBOARD_DIR).generic_string();
    HttpResult asset = Get("/assets/" + relative);
    EXPECT_EQ(asset.code, 200) << relative;
    EXPECT_EQ(asset.body, ReadFile(entry.path().string())) << relative;
    EXPECT_EQ(asset.headers["x-content-type-options"], "nosniff") << relative;
    ASSERT_FALSE(asset.headers["etag"].empty()) << relative;
    HttpResult again = Get("/assets/" + relative, {"If-None-Match: " + asset.headers["etag"]});
    EXPECT_EQ(again.code, 304) << relative;
    EXPECT_EQ(again.body, "");
    ++files;
  }
  EXPECT_GE(files, 1u);
  HttpCallOptions head;
  head.method = "HEAD";
  HttpResult headed = HttpCall(base_ + "/", head);
  EXPECT_EQ(headed.code, 200);
  EXPECT_EQ(headed.body, "");
}

TEST_F(DashboardTest, UnknownPathsAndMethods) {
  const double not_found = Refused("not_found");
  const double method = Refused("method");
  HttpResult page = Get("/nope");
  EXPECT_EQ(page.code, 404);
  EXPECT_THAT(page.headers["content-type"], StartsWith("text/plain"));
  EXPECT_EQ(page.headers["content-security-policy"], kCsp);
  EXPECT_EQ(Get("/assets/no-such-file.js").code, 404);
  EXPECT_EQ(Get("/assets/../broker_server.cpp").code, 404);
  HttpResult api = Get("/api/nope", {Bearer(kReadToken)});
  EXPECT_EQ(api.code, 404);
  EXPECT_THAT(Json(api).value("error", ""), HasSubstr("no such route: GET /api/nope"));
  EXPECT_EQ(api.headers["cache-control"], "no-store");
  HttpCallOptions options;
  options.method = "DELETE";
  options.headers = {Bearer(kAdminToken)};
  HttpResult wrong = HttpCall(base_ + "/api/jobs", options);
  EXPECT_EQ(wrong.code, 405);
  EXPECT_EQ(wrong.headers["allow"], "GET, HEAD");
  EXPECT_THAT(Json(wrong).value("error", ""), HasSubstr("/api/jobs takes GET, not DELETE"));
  HttpResult get_action = Get("/api/jobs/retry", {Bearer(kAdminToken)});
  EXPECT_EQ(get_action.code, 405);
  EXPECT_EQ(get_action.headers["allow"], "POST");
  EXPECT_GE(Refused("not_found"), not_found + 4);
  EXPECT_GE(Refused("method"), method + 2);
}

TEST_F(DashboardTest, LogInWithATokenLogOutAndTheSessionEnds) {
  HttpResult anonymous = Get("/api/session");
  ASSERT_EQ(anonymous.code, 200) << anonymous.error;
  EXPECT_EQ(
      Json(anonymous),
      (nlohmann::json{{"auth", false}, {"tokens", true}, {"role", nullptr}, {"csrf", nullptr}}));
  EXPECT_EQ(anonymous.headers["cache-control"], "no-store");

  const double unauthenticated = Refused("unauthenticated");
  HttpResult unknown = Post("/api/login", R"({"token": "not-a-token-of-this-broker"})");
  EXPECT_EQ(unknown.code, 401);
  EXPECT_THAT(Json(unknown).value("error", ""), HasSubstr("token not recognised"));
  EXPECT_TRUE(unknown.set_cookies.empty());
  EXPECT_EQ(Get("/api/status").code, 401);
  EXPECT_GE(Refused("unauthenticated"), unauthenticated + 2);
  HttpResult malformed = Post("/api/login", "token=abc");
  EXPECT_EQ(malformed.code, 400);
  EXPECT_THAT(Json(malformed).value("error", ""), HasSubstr("{\"token\": \"...\"}"));

  HttpResult login = Post("/api/login", nlohmann::json{{"token", kReadToken}}.dump());
  ASSERT_EQ(login.code, 200) << login.body;
  EXPECT_EQ(Json(login).value("role", ""), "read");
  ASSERT_EQ(login.set_cookies.size(), 1u);
  const std::string set_cookie = login.set_cookies[0];
  EXPECT_THAT(set_cookie, StartsWith("jobq_session="));
  EXPECT_THAT(set_cookie, HasSubstr("; HttpOnly"));
  EXPECT_THAT(set_cookie, HasSubstr("; SameSite=Strict"));
  EXPECT_THAT(set_cookie, HasSubstr("; Path=/"));
  EXPECT_THAT(set_cookie, ::testing::Not(HasSubstr("Secure")));  // plain HTTP
  const std::string cookie = "Cookie: " + set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_EQ(set_cookie.find(';') - std::string("jobq_session=").size(), 64u);

  const nlohmann::json session = Json(Get("/api/session", {cookie}));
  EXPECT_EQ(session["auth"], true);
  EXPECT_EQ(session["role"], "read");
  const std::string csrf = session.value("csrf", "");
  EXPECT_EQ(Get("/api/status", {cookie}).code, 200);

  EXPECT_EQ(Post("/api/logout", "", {cookie}).code, 403);  // no CSRF token
  HttpResult logout = Post("/api/logout", "", {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_EQ(logout.code, 200) << logout.body;
  ASSERT_EQ(logout.set_cookies.size(), 1u);
  EXPECT_THAT(logout.set_cookies[0], HasSubstr("Max-Age=0"));
  HttpResult ended = Get("/api/status", {cookie});
  EXPECT_EQ(ended.code, 401);
  EXPECT_THAT(Json(ended).value("error", ""), HasSubstr("log in again"));
}

TEST_F(DashboardTest, ApiJsonIsWhatTheCliPrints) {
  const std::string first = SubmitOne({"noop", "-q", "emails", "--arg", "to=<script>x</script>"});
  const std::string second = SubmitOne({"noop", "-q", "emails"});
  const std::string third = SubmitOne({"noop", "-q", "reports"});
  ASSERT_FALSE(third.empty());

  const std::vector<std::string> read = {Bearer(kReadToken)};
  HttpResult jobs = Get("/api/jobs", read);
  ASSERT_EQ(jobs.code, 200) << jobs.body;
  EXPECT_EQ(jobs.headers["cache-control"], "no-store");
  EXPECT_THAT(jobs.headers["content-type"], StartsWith("application/json"));
  CommandResult cli = cluster_.Jobq({"jobs", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const nlohmann::json page = Json(jobs);
  EXPECT_EQ(page["jobs"], nlohmann::json(JsonLines(cli.out)));
  EXPECT_EQ(page["next_after"], nullptr);

  // Filters and pages.
  const nlohmann::json emails = Json(Get("/api/jobs?queue=emails&state=queued&limit=1", read));
  ASSERT_EQ(emails["jobs"].size(), 1u);
  EXPECT_EQ(emails["jobs"][0]["id"], first);
  EXPECT_EQ(emails["next_after"], first);
  const nlohmann::json next = Json(Get("/api/jobs?queue=emails&limit=1&after=" + first, read));
  ASSERT_EQ(next["jobs"].size(), 1u);
  EXPECT_EQ(next["jobs"][0]["id"], second);

  // One job: `jobq job ID --json`; the <script> of its args is only text.
  HttpResult job = Get("/api/jobs/" + first, read);
  ASSERT_EQ(job.code, 200) << job.body;
  CommandResult cli_job = cluster_.Jobq({"job", first, "--json"});
  ASSERT_EQ(cli_job.exit_code, 0) << cli_job.err;
  EXPECT_EQ(Json(job), JsonLines(cli_job.out).at(0));

  // Status: `jobq status --json` plus now_ms (figures move between the
  // two calls; the shape and the queues do not).
  const nlohmann::json status = Json(Get("/api/status", read));
  const nlohmann::json cli_status = cluster_.Status();
  ASSERT_TRUE(status.contains("now_ms"));
  for (const auto& [key, value] : cli_status.items()) {
    EXPECT_TRUE(status.contains(key)) << key;
  }
  EXPECT_EQ(status["version"], cli_status["version"]);
  EXPECT_EQ(status["store"], cli_status["store"]);

  // Limits, schedules, workflows.
  ASSERT_EQ(cluster_.Jobq({"limit", "emails", "--rate", "5/s"}).exit_code, 0);
  CommandResult cli_limits = cluster_.Jobq({"limits", "--json"});
  EXPECT_EQ(Json(Get("/api/limits", read))["limits"], nlohmann::json(JsonLines(cli_limits.out)));
  ASSERT_EQ(cluster_.Jobq({"schedule", "add", "tick", "--every", "1h", "noop"}).exit_code, 0);
  CommandResult cli_schedules = cluster_.Jobq({"schedule", "list", "--json"});
  EXPECT_EQ(Json(Get("/api/schedules", read))["schedules"],
            nlohmann::json(JsonLines(cli_schedules.out)));
  const nlohmann::json workflows = Json(Get("/api/workflows?state=running", read));
  EXPECT_EQ(workflows["workflows"], nlohmann::json::array());
  EXPECT_EQ(workflows["next_after"], nullptr);
  HttpResult no_workflow = Get("/api/workflows/" + first, read);
  EXPECT_EQ(no_workflow.code, 404) << no_workflow.body;
}

TEST_F(DashboardTest, MalformedParametersAreRefusedNamingThem) {
  const double bad = Refused("bad_request");
  const std::vector<std::string> read = {Bearer(kReadToken)};
  const std::pair<std::string, std::string> cases[] = {
      {"/api/jobs?limit=0", "limit must be 1..500"},
      {"/api/jobs?limit=501", "limit must be 1..500"},
      {"/api/jobs?state=nope", "state must be one of"},
      {"/api/jobs?after=xyz", "bad job id \"xyz\""},
      {"/api/jobs?colour=red", "unknown parameter \"colour\""},
      {"/api/jobs?queue=%zz", "%-escape"},
      {"/api/jobs/xyz", "bad job id \"xyz\""},
      {"/api/workflows?state=dead", "state must be one of running"},
      {"/api/status?x=1", "unknown parameter \"x\""},
      {"/api/events?x=1", "unknown parameter \"x\""},
  };
  for (const auto& [path, message] : cases) {
    HttpResult answer = Get(path, read);
    EXPECT_EQ(answer.code, 400) << path << " " << answer.body;
    EXPECT_THAT(Json(answer).value("error", ""), HasSubstr(message)) << path;
  }
  const std::vector<std::string> admin = {Bearer(kAdminToken)};
  HttpResult retry = Post("/api/jobs/retry", R"({"ids": "all"})", admin);
  EXPECT_EQ(retry.code, 400);
  EXPECT_THAT(Json(retry).value("error", ""), HasSubstr("ids must be an array"));
  EXPECT_EQ(Post("/api/jobs/cancel", "not json", admin).code, 400);
  EXPECT_GE(Refused("bad_request"), bad + 12);
  // Unknown things are 404 with the broker's message.
  HttpResult unknown_job = Get("/api/jobs/0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f", read);
  EXPECT_EQ(unknown_job.code, 404) << unknown_job.body;
  EXPECT_EQ(Post("/api/queues/nothing-here/resume", "", admin).code, 404);
  EXPECT_EQ(Post("/api/workers/nobody/drain", "", admin).code, 404);
}

TEST_F(DashboardTest, ActionsNeedAnAdminAndTheirCsrfToken) {
  const std::string id = SubmitOne({"noop", "-q", "emails"});
  const std::vector<std::string> admin = LogIn(kAdminToken);
  const std::vector<std::string> read = LogIn(kReadToken);

  const double forbidden = Refused("forbidden");
  HttpResult by_reader = Post("/api/queues/emails/pause", "", read);
  EXPECT_EQ(by_reader.code, 403);
  EXPECT_THAT(Json(by_reader).value("error", ""), HasSubstr("needs an admin token"));
  EXPECT_EQ(Post("/api/queues/emails/pause", "", {Bearer(kReadToken)}).code, 403);
  EXPECT_GE(Refused("forbidden"), forbidden + 2);

  const double csrf = Refused("csrf");
  HttpResult no_csrf = Post("/api/queues/emails/pause", "", {admin[0]});
  EXPECT_EQ(no_csrf.code, 403);
  EXPECT_THAT(Json(no_csrf).value("error", ""), HasSubstr("X-CSRF-Token is missing"));
  std::vector<std::string> foreign = admin;
  foreign.push_back("Origin: https://evil.example");
  HttpResult cross_site = Post("/api/queues/emails/pause", "", foreign);
  EXPECT_EQ(cross_site.code, 403);
  EXPECT_THAT(Json(cross_site).value("error", ""), HasSubstr("cross-site"));
  EXPECT_GE(Refused("csrf"), csrf + 2);

  // Pause with the page's session: the CLI sees it.
  std::vector<std::string> same_site = admin;
  same_site.push_back("Origin: " + base_);
  HttpResult paused = Post("/api/queues/emails/pause", "", same_site);
  ASSERT_EQ(paused.code, 200) << paused.body;
  EXPECT_EQ(Json(paused), (nlohmann::json{{"queue", "emails"}, {"paused", true}}));
  CommandResult queues = cluster_.Jobq({"queues", "--json"});
  EXPECT_THAT(queues.out, HasSubstr("\"paused\":true")) << queues.out;
  HttpResult twice = Post("/api/queues/emails/pause", "", admin);
  EXPECT_EQ(twice.code, 409) << twice.body;
  EXPECT_EQ(Json(Post("/api/queues/emails/resume", "", admin)),
            (nlohmann::json{{"queue", "emails"}, {"paused", false}}));

  // Cancel and retry one job; then purge the queue (a Bearer token needs
  // no CSRF token).
  HttpResult cancelled =
      Post("/api/jobs/cancel", nlohmann::json{{"ids", nlohmann::json::array({id})}}.dump(), admin);
  ASSERT_EQ(cancelled.code, 200) << cancelled.body;
  EXPECT_EQ(Json(cancelled)["results"][0]["outcome"], "cancelled");
  HttpResult retried =
      Post("/api/jobs/retry", nlohmann::json{{"ids", nlohmann::json::array({id})}}.dump(), admin);
  ASSERT_EQ(retried.code, 200) << retried.body;
  EXPECT_EQ(Json(retried)["results"][0]["outcome"], "retried");
  EXPECT_EQ(Json(retried)["results"][0]["id"], id);
  HttpResult purged = Post("/api/queues/emails/purge", "", {Bearer(kAdminToken)});
  ASSERT_EQ(purged.code, 200) << purged.body;
  EXPECT_EQ(Json(purged), (nlohmann::json{{"queue", "emails"}, {"cancelled", 1}}));
}

TEST_F(DashboardTest, RetryADeadLetterAndDrainAWorker) {
  cluster_.StartWorker("w1");
  ASSERT_TRUE(cluster_.WaitForWorkers(1));
  // --retries 1: two attempts, then dead (one attempt alone ends failed).
  const std::string id = SubmitOne(
      {"fail", "--arg", "message=<script>boom</script>", "--retries", "1", "--backoff", "100ms"});
  const std::vector<std::string> admin = {Bearer(kAdminToken)};
  nlohmann::json dead;
  ASSERT_TRUE(WaitFor([&] {
    dead = Json(Get("/api/jobs?state=dead", admin));
    return dead["jobs"].size() == 1;
  })) << dead;
  EXPECT_EQ(dead["jobs"][0]["id"], id);
  EXPECT_EQ(dead["jobs"][0]["error"]["message"], "<script>boom</script>");
  HttpResult retried =
      Post("/api/jobs/retry", nlohmann::json{{"ids", nlohmann::json::array({id})}}.dump(), admin);
  ASSERT_EQ(retried.code, 200) << retried.body;
  EXPECT_EQ(Json(retried)["results"][0]["outcome"], "retried");
  HttpResult drained = Post("/api/workers/w1/drain", "", admin);
  ASSERT_EQ(drained.code, 200) << drained.body;
  EXPECT_EQ(Json(drained)["worker"], "w1");
  // Draining already (409), or gone once it finished (404).
  EXPECT_THAT(Post("/api/workers/w1/drain", "", admin).code, ::testing::AnyOf(409, 404));
}

TEST_F(DashboardTest, OversizedRequestsAreRefused) {
  const double too_large = Refused("too_large");
  const std::vector<std::string> admin = {Bearer(kAdminToken)};
  const std::string body = "{\"ids\": [\"" + std::string(70 * 1024, 'x') + "\"]}";
  HttpResult big = Post("/api/jobs/retry", body, admin);
  EXPECT_EQ(big.code, 413) << big.body;
  EXPECT_THAT(Json(big).value("error", ""), HasSubstr("64 KiB"));
  // Chunked: no Content-Length, cut at the bound.
  std::vector<std::string> chunked = admin;
  chunked.push_back("Transfer-Encoding: chunked");
  EXPECT_EQ(Post("/api/jobs/cancel", body, chunked).code, 413);
  EXPECT_GE(Refused("too_large"), too_large + 2);
  // Headers over 16 KiB: civetweb's own refusal (it cannot tell them from
  // a malformed request: 400), with the security headers, counted.
  const double bad = Refused("bad_request");
  HttpResult headers =
      Get("/api/status", {Bearer(kReadToken), "X-Padding: " + std::string(20 * 1024, 'p')});
  EXPECT_EQ(headers.code, 400) << headers.error;
  EXPECT_EQ(headers.headers["x-content-type-options"], "nosniff");
  EXPECT_GE(Refused("bad_request"), bad + 1);
  // The broker still answers.
  EXPECT_EQ(Get("/api/status", {Bearer(kReadToken)}).code, 200);
}

TEST_F(DashboardTest, EventsStreamEachSnapshot) {
  RawConnection unauthenticated(cluster_.http());
  ASSERT_TRUE(unauthenticated.Send("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(unauthenticated.ReadUntil("\r\n", 1, std::chrono::seconds(20)),
              StartsWith("HTTP/1.1 401"));

  RawConnection stream(cluster_.http());
  ASSERT_TRUE(stream.Send(std::string("GET /api/events HTTP/1.1\r\nHost: x\r\n") +
                          Bearer(kReadToken) + "\r\n\r\n"));
  const std::string read = stream.ReadUntil("event: status\n", 3, std::chrono::seconds(30));
  EXPECT_THAT(read, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(read, HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(read, HasSubstr("Content-Security-Policy: "));
  EXPECT_THAT(read, HasSubstr("\r\n\r\nretry: 2000\n\n"));
  // Three snapshots, each one JSON line as /api/status, newer each time.
  std::vector<nlohmann::json> events;
  for (size_t at = read.find("data: "); at != std::string::npos; at = read.find("data: ", at + 1)) {
    const size_t end = read.find('\n', at);
    if (end == std::string::npos) {
      break;
    }
    events.push_back(nlohmann::json::parse(read.substr(at + 6, end - at - 6), nullptr, false));
  }
  ASSERT_GE(events.size(), 3u) << read;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_FALSE(events[i].is_discarded()) << read;
    EXPECT_TRUE(events[i].contains("queues"));
    if (i > 0) {
      EXPECT_GT(events[i]["now_ms"].get<int64_t>(), events[i - 1]["now_ms"].get<int64_t>());
    }
  }
  // The open stream shows in the status and in /metrics.
  EXPECT_TRUE(
      WaitFor([&] { return ScrapeSample(cluster_.metrics(), "jobq_http_event_streams") >= 1; }));
}

TEST_F(DashboardTest, SlowAndStalledClientsDoNotStopTheBroker) {
  cluster_.StartWorker("w1");
  ASSERT_TRUE(cluster_.WaitForWorkers(1));
  // Half a request, never finished.
  RawConnection half(cluster_.http());
  ASSERT_TRUE(half.Send("GET /api/status HTTP/1.1\r\nHost: x\r\nAuthor"));
  // An event stream whose reader never reads, with a small receive buffer.
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 4; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(cluster_.http(), 4096));
    ASSERT_TRUE(stalled.back()->Send(std::string("GET /api/events HTTP/1.1\r\nHost: x\r\n") +
                                     Bearer(kReadToken) + "\r\n\r\n"));
  }
  // Jobs keep flowing through the broker, and the dashboard keeps answering.
  for (int round = 0; round < 5; ++round) {
    std::string lines;
    for (int i = 0; i < 50; ++i) {
      lines += "{\"task\": \"noop\"}\n";
    }
    CommandResult run = cluster_.Jobq({"submit", "--file", "-", "--wait"}, lines);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(JsonLines(run.out).size(), 50u);
    EXPECT_EQ(Get("/api/status", {Bearer(kReadToken)}).code, 200);
  }
  // The half request is dropped once request_timeout_ms passes.
  EXPECT_TRUE(half.WaitClosed(std::chrono::seconds(60)));
  EXPECT_EQ(Get("/metrics", {Bearer(kReadToken)}).code, 200);
}

TEST_F(DashboardTest, MetricsOnBothListeners) {
  HttpResult plain = HttpCall("http://" + cluster_.metrics() + "/metrics");
  ASSERT_EQ(plain.code, 200) << plain.error;
  EXPECT_THAT(plain.body, HasSubstr("# TYPE jobq_http_refused_total counter"));
  EXPECT_THAT(plain.body, HasSubstr("jobq_http_refused_total{reason=\"csrf\"}"));
  EXPECT_THAT(plain.body, HasSubstr("jobq_jobs_submitted_total"));
  // On --http, /metrics is data like /api: a token is needed.
  HttpResult refused = Get("/metrics");
  EXPECT_EQ(refused.code, 401);
  EXPECT_EQ(refused.headers["www-authenticate"], "Bearer realm=\"jobq\"");
  HttpResult scraped = Get("/metrics", {Bearer(kReadToken)});
  ASSERT_EQ(scraped.code, 200);
  EXPECT_THAT(scraped.headers["content-type"], StartsWith("text/plain; version=0.0.4"));
  EXPECT_THAT(scraped.body, HasSubstr("jobq_http_refused_total{reason=\"unauthenticated\"}"));
}

// --- brokers of their own: open, TLS, protected mode ---

TEST(DashboardOpenTest, WithoutTokensEveryoneIsAdminButPostsNeedTheCsrfToken) {
  Cluster cluster;
  cluster.StartBroker({"--http", "127.0.0.1:0", "--store", "memory"});
  const std::string base = "http://" + cluster.http();
  HttpResult session = HttpCall(base + "/api/session");
  ASSERT_EQ(session.code, 200) << session.error;
  const nlohmann::json json = nlohmann::json::parse(session.body);
  EXPECT_EQ(json["auth"], true);
  EXPECT_EQ(json["tokens"], false);
  EXPECT_EQ(json["role"], "admin");
  ASSERT_TRUE(cluster.Jobq({"submit", "noop", "-q", "open"}).exit_code == 0);
  HttpCallOptions post;
  post.method = "POST";
  EXPECT_EQ(HttpCall(base + "/api/queues/open/pause", post).code, 403);
  post.headers = {"X-CSRF-Token: " + json["csrf"].get<std::string>()};
  EXPECT_EQ(HttpCall(base + "/api/queues/open/pause", post).code, 200);
}

TEST(DashboardTlsTest, ServesHttpsWithTheAdminCertificate) {
  Cluster cluster;
  CommandResult made =
      RunCommand({JOBQ_OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                  "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                  cluster.dir().File("admin.key"), "-out", cluster.dir().File("admin.crt")},
                 "", std::chrono::seconds(60));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  WriteFile(cluster.dir().File("admin.tokens"), std::string("read ") + kReadToken + "\n");
  const std::vector<std::string> args = {"--http",           "127.0.0.1:0",
                                         "--admin-tls-cert", cluster.dir().File("admin.crt"),
                                         "--admin-tls-key",  cluster.dir().File("admin.key"),
                                         "--admin-tokens",   cluster.dir().File("admin.tokens"),
                                         "--store",          "memory"};
  cluster.StartBroker(args);
  HttpCallOptions tls;
  tls.ca_file = cluster.dir().File("admin.crt");
  HttpResult page = HttpCall("https://" + cluster.http() + "/api/session", tls);
  ASSERT_EQ(page.code, 200) << page.error;
  EXPECT_EQ(page.headers["x-frame-options"], "DENY");
  HttpCallOptions bearer = tls;
  bearer.headers = {Bearer(kReadToken)};
  HttpResult status = HttpCall("https://" + cluster.http() + "/api/status", bearer);
  EXPECT_EQ(status.code, 200) << status.error;
  EXPECT_TRUE(Json(status).contains("now_ms"));
  tls.method = "POST";
  tls.body = nlohmann::json{{"token", kReadToken}}.dump();
  HttpResult login = HttpCall("https://" + cluster.http() + "/api/login", tls);
  ASSERT_EQ(login.code, 200) << login.error << login.body;
  ASSERT_EQ(login.set_cookies.size(), 1u);
  EXPECT_THAT(login.set_cookies[0], HasSubstr("; Secure"));
  // Plain HTTP on the TLS port gets no answer.
  HttpResult plain = HttpCall("http://" + cluster.http() + "/api/session");
  EXPECT_NE(plain.code, 200);
  // A wrong key stops the broker at start, naming the file.
  Cluster wrong;
  CommandResult other =
      RunCommand({JOBQ_OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=other",
                  "-keyout", wrong.dir().File("other.key"), "-out", wrong.dir().File("other.crt")},
                 "", std::chrono::seconds(60));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  CommandResult refused =
      RunCommand({JOBQ_BROKER_BIN, "--http", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--frontend",
                  "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--store", "memory",
                  "--admin-tls-cert", cluster.dir().File("admin.crt"), "--admin-tls-key",
                  wrong.dir().File("other.key")},
                 "", std::chrono::seconds(60));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("other.key")) << refused.err;
}

TEST(DashboardProtectedModeTest, OffLoopbackNeedsTlsAndTokensOrInsecure) {
  TempDir dir;
  WriteFile(dir.File("admin.tokens"), std::string("admin ") + kAdminToken + "\n");
  const std::vector<std::string> base = {
      JOBQ_BROKER_BIN,     "--admin", "127.0.0.1:0", "--frontend", "tcp://127.0.0.1:*", "--backend",
      "tcp://127.0.0.1:*", "--store", "memory",      "--http",     "0.0.0.0:0"};
  CommandResult bare = RunCommand(base, "", std::chrono::seconds(60));
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_THAT(bare.err, HasSubstr("refusing to serve the dashboard on 0.0.0.0:0 without TLS"));
  EXPECT_THAT(bare.err, HasSubstr("--insecure"));
  std::vector<std::string> clear_text = base;
  clear_text.insert(clear_text.end(), {"--admin-tokens", dir.File("admin.tokens"), "--insecure"});
  CommandResult refused = RunCommand(clear_text, "", std::chrono::seconds(60));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("clear text"));
  // --insecure: it starts, and says so.
  std::vector<std::string> insecure = base;
  insecure.insert(insecure.end(), {"--insecure", "--ready-file", dir.File("ready")});
  Process broker(insecure, dir.File("insecure"));
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(dir.File("ready")).empty() || !broker.Running(); }));
  ASSERT_TRUE(broker.Running()) << broker.Stderr();
  EXPECT_THAT(broker.Stderr(), HasSubstr("http_insecure"));
  EXPECT_TRUE(nlohmann::json::parse(ReadFile(dir.File("ready"))).contains("http"));
}

}  // namespace
}  // namespace jobq::testing
