// The dashboard's routes (broker/http/router.h): every path, its method,
// the role its admin RPC needs, and 404/405.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "broker/admin/rpc_roles.h"
#include "broker/http/router.h"

namespace jobq::broker::http {
namespace {

using Outcome = RouteMatch::Outcome;

struct Case {
  const char* method;
  const char* path;
  RouteId id;
  const char* param;
  const char* rpc;
};

TEST(RouterTest, EveryRoute) {
  const Case cases[] = {
      {"GET", "/", RouteId::kPage, "", ""},
      {"HEAD", "/", RouteId::kPage, "", ""},
      {"GET", "/assets/js/app.js", RouteId::kAsset, "js/app.js", ""},
      {"GET", "/metrics", RouteId::kMetrics, "", "GetStatus"},
      {"GET", "/api/session", RouteId::kSession, "", ""},
      {"POST", "/api/login", RouteId::kLogin, "", ""},
      {"POST", "/api/logout", RouteId::kLogout, "", ""},
      {"GET", "/api/status", RouteId::kStatus, "", "GetStatus"},
      {"GET", "/api/events", RouteId::kEvents, "", "WatchStatus"},
      {"GET", "/api/jobs", RouteId::kJobs, "", "ListJobs"},
      {"GET", "/api/jobs/ID", RouteId::kJob, "ID", "GetJob"},
      {"POST", "/api/jobs/retry", RouteId::kRetryJobs, "", "RetryJobs"},
      {"POST", "/api/jobs/cancel", RouteId::kCancelJobs, "", "CancelJobs"},
      {"POST", "/api/queues/emails/pause", RouteId::kPauseQueue, "emails", "PauseQueue"},
      {"POST", "/api/queues/emails/resume", RouteId::kResumeQueue, "emails", "ResumeQueue"},
      {"POST", "/api/queues/emails/purge", RouteId::kPurgeQueue, "emails", "PurgeQueue"},
      {"POST", "/api/workers/w1/drain", RouteId::kDrainWorker, "w1", "DrainWorker"},
      {"GET", "/api/schedules", RouteId::kSchedules, "", "ListSchedules"},
      {"GET", "/api/limits", RouteId::kLimits, "", "ListLimits"},
      {"GET", "/api/workflows", RouteId::kWorkflows, "", "ListWorkflows"},
      {"GET", "/api/workflows/ID", RouteId::kWorkflow, "ID", "GetWorkflow"},
  };
  for (const Case& c : cases) {
    const RouteMatch match = MatchRoute(c.method, c.path);
    EXPECT_EQ(match.outcome, Outcome::kFound) << c.method << " " << c.path;
    EXPECT_EQ(match.id, c.id) << c.path;
    EXPECT_EQ(match.param, c.param) << c.path;
    EXPECT_EQ(match.rpc, c.rpc) << c.path;
    EXPECT_EQ(match.api, std::string(c.path).rfind("/api/", 0) == 0) << c.path;
  }
}

TEST(RouterTest, EveryRpcIsInTheRoleTable) {
  // A route naming an RPC the table does not know would be refused to
  // everybody; the actions need admin, the rest read.
  for (const char* path : {"/api/status", "/api/jobs", "/api/schedules", "/api/limits",
                           "/api/workflows", "/api/events", "/metrics"}) {
    const RouteMatch match = MatchRoute("GET", path);
    EXPECT_EQ(admin::RequiredRole(match.rpc), admin::AdminRole::kRead) << path;
  }
  for (const char* path : {"/api/jobs/retry", "/api/jobs/cancel", "/api/queues/q/pause",
                           "/api/queues/q/resume", "/api/queues/q/purge", "/api/workers/w/drain"}) {
    const RouteMatch match = MatchRoute("POST", path);
    EXPECT_EQ(admin::RequiredRole(match.rpc), admin::AdminRole::kAdmin) << path;
  }
}

TEST(RouterTest, UnknownPathsAreNotFound) {
  for (const char* path : {"/nope", "/api", "/api/", "/api/nope", "/api/jobs/", "/assets/",
                           "/api/queues/q", "/api/queues/q/explode", "/api/queues//pause",
                           "/api/jobs/a/b", "/index.html", "/api/workers/w/kill"}) {
    const RouteMatch match = MatchRoute("GET", path);
    EXPECT_EQ(match.outcome, Outcome::kNotFound) << path;
  }
  EXPECT_TRUE(MatchRoute("GET", "/api/nope").api);
  EXPECT_FALSE(MatchRoute("GET", "/nope").api);
}

TEST(RouterTest, WrongMethodSaysWhichOneIsAllowed) {
  RouteMatch match = MatchRoute("POST", "/api/jobs");
  EXPECT_EQ(match.outcome, Outcome::kWrongMethod);
  EXPECT_EQ(match.allowed, "GET");
  match = MatchRoute("GET", "/api/jobs/retry");
  EXPECT_EQ(match.outcome, Outcome::kWrongMethod);
  EXPECT_EQ(match.allowed, "POST");
  EXPECT_EQ(MatchRoute("DELETE", "/api/jobs/ID").outcome, Outcome::kWrongMethod);
  EXPECT_EQ(MatchRoute("HEAD", "/api/status").outcome, Outcome::kWrongMethod);
  EXPECT_EQ(MatchRoute("PUT", "/").outcome, Outcome::kWrongMethod);
}

}  // namespace
}  // namespace jobq::broker::http
