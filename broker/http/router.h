#pragma once
// The dashboard's routes: which paths exist, with which method, and which
// admin RPC's role each needs (the gRPC service's role table,
// broker/admin/rpc_roles.h, decides read or admin). Pure; thread-safe.

#include <string>
#include <string_view>

namespace jobq::broker::http {

enum class RouteId {
  kPage,         // GET /            the dashboard's index.html
  kAsset,        // GET /assets/*    its files
  kMetrics,      // GET /metrics     the Prometheus text
  kSession,      // GET /api/session
  kLogin,        // POST /api/login
  kLogout,       // POST /api/logout
  kStatus,       // GET /api/status
  kEvents,       // GET /api/events  (SSE)
  kJobs,         // GET /api/jobs
  kJob,          // GET /api/jobs/ID
  kRetryJobs,    // POST /api/jobs/retry
  kCancelJobs,   // POST /api/jobs/cancel
  kPauseQueue,   // POST /api/queues/NAME/pause
  kResumeQueue,  // POST /api/queues/NAME/resume
  kPurgeQueue,   // POST /api/queues/NAME/purge
  kDrainWorker,  // POST /api/workers/NAME/drain
  kSchedules,    // GET /api/schedules
  kLimits,       // GET /api/limits
  kWorkflows,    // GET /api/workflows
  kWorkflow,     // GET /api/workflows/ID
};

struct RouteMatch {
  enum class Outcome { kFound, kNotFound, kWrongMethod };
  Outcome outcome = Outcome::kNotFound;
  RouteId id = RouteId::kPage;
  // The path's variable part: a job or workflow id, a queue or worker
  // name, or an asset's path below /assets/.
  std::string param;
  // The method the path takes ("GET" or "POST"), for Allow on a 405.
  std::string_view allowed;
  // The admin RPC whose role the route needs ("ListJobs"); "" for routes
  // anyone may use (the page, assets, session, login, logout).
  std::string_view rpc;
  // Under /api/: errors are JSON and answers are not cached.
  bool api = false;
};

// `method` as sent ("HEAD" is taken as GET on the page, assets and
// /metrics), `path` URL-decoded without the query.
RouteMatch MatchRoute(std::string_view method, std::string_view path);

}  // namespace jobq::broker::http
