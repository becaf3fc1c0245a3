#pragma once
// DashboardApi: what the broker's HTTP server (--http) answers, as plain
// functions of a request: the page and its files, /metrics, and the JSON
// API of docs/dashboard.md. Lists and actions go to the loop through
// BrokerControl (the gRPC service's path: requests checked by the same
// functions, broker/admin/job_requests.h); live figures come from the
// StatusFeed, never from the loop. The JSON of jobs, queues, workers,
// schedules, limits and workflows is the CLI's `--json`
// (producer/cli, library jobq_admin_view).
//
// Handlers are grouped by what they serve: dashboard_api.cpp (routing,
// access, the page, files, status, metrics), api_session.cpp,
// api_jobs.cpp, api_queues.cpp, api_lists.cpp.
//
// Thread-safe: civetweb's threads call Serve concurrently.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "broker/admin/broker_control.h"
#include "broker/http/access.h"
#include "broker/http/http_message.h"
#include "broker/http/http_status.h"
#include "broker/http/router.h"
#include "broker/http/status_feed.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::http {

// Bodies over this are refused (413) before they are read.
inline constexpr size_t kBodyBytesMax = 64 * 1024;

struct DashboardParts {
  admin::BrokerControl* control = nullptr;
  StatusFeed* feed = nullptr;
  Access* access = nullptr;
  RefusalCounters* refusals = nullptr;
  // The latest snapshot with what the loop does not know filled in (for
  // /metrics); null before the first.
  std::function<std::shared_ptr<const ::jobq::admin::GetStatusResponse>()> stamped_status;
  // A monotonic clock in ms for the sessions.
  std::function<int64_t()> now_ms;
  // How long a request waits for the loop before it answers 503.
  std::chrono::milliseconds loop_timeout{5000};
};

struct Served {
  HttpResponse response;
  // GET /api/events, allowed: the server streams instead of answering.
  bool events = false;
};

class DashboardApi {
 public:
  // Every part must outlive this.
  explicit DashboardApi(DashboardParts parts) : parts_(std::move(parts)) {}

  // The answer to `request` (refusals counted).
  Served Serve(const HttpRequest& request);

  // An error answer: JSON {"error"} under /api, a short text page
  // elsewhere; counts `refusal` when given.
  HttpResponse Error(bool api, int status, absl::string_view message,
                     std::optional<Refusal> refusal);

 private:
  HttpResponse Route(const RouteMatch& route, const HttpRequest& request, const Caller& caller);

  HttpResponse Page(const HttpRequest& request);
  HttpResponse AssetFile(const std::string& path, const HttpRequest& request);
  HttpResponse Metrics(const HttpRequest& request);
  HttpResponse Status(const HttpRequest& request);

  HttpResponse SessionInfo(const Caller& caller);
  HttpResponse Login(const HttpRequest& request);
  HttpResponse Logout(const HttpRequest& request);

  HttpResponse Jobs(const HttpRequest& request);
  HttpResponse Job(const std::string& id);
  HttpResponse RetryJobs(const HttpRequest& request);
  HttpResponse CancelJobs(const HttpRequest& request);

  HttpResponse QueueAction(RouteId action, const std::string& queue);
  HttpResponse DrainWorker(const std::string& worker);

  HttpResponse Schedules(const HttpRequest& request);
  HttpResponse Limits(const HttpRequest& request);
  HttpResponse Workflows(const HttpRequest& request);
  HttpResponse Workflow(const std::string& id);

  // The error answer of a failed question to the loop.
  HttpResponse Failed(const absl::Status& status);
  HttpResponse Json(std::string body);

  DashboardParts parts_;
};

}  // namespace jobq::broker::http
