#include "broker/http/dashboard_api.h"

#include "absl/strings/str_cat.h"
#include "broker/http/assets.h"
#include "broker/http/request_params.h"
#include "broker/metrics/metrics_text.h"

namespace jobq::broker::http {
namespace {

// Whether `if_none_match` (the request's If-None-Match) names `etag`.
bool EtagMatches(const std::string& if_none_match, std::string_view etag) {
  return !if_none_match.empty() &&
         (if_none_match == "*" || if_none_match.find(etag) != std::string::npos);
}

// The refusal an error status counts as; none for the answers that are
// the broker's news rather than a refused request (409, 429, 500).
std::optional<Refusal> CountedRefusal(int status) {
  switch (status) {
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 413:
    case 431:
    case 503:
      return RefusalOfStatus(status);
    default:
      return std::nullopt;
  }
}

}  // namespace

HttpResponse DashboardApi::Error(bool api, int status, absl::string_view message,
                                 std::optional<Refusal> refusal) {
  if (refusal.has_value()) {
    parts_.refusals->Count(*refusal);
  }
  HttpResponse response;
  response.status = status;
  if (api) {
    response.body = ErrorJson(message);
  } else {
    response.content_type = "text/plain; charset=utf-8";
    response.body = absl::StrCat(status, " ", std::string(ReasonPhrase(status)), ": ",
                                 std::string(message), "\n");
  }
  return response;
}

HttpResponse DashboardApi::Json(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

HttpResponse DashboardApi::Failed(const absl::Status& status) {
  const int code = HttpStatusOf(status.code());
  return Error(true, code, status.message(), CountedRefusal(code));
}

Served DashboardApi::Serve(const HttpRequest& request) {
  Served served;
  const RouteMatch route = MatchRoute(request.method, request.path);
  if (route.outcome == RouteMatch::Outcome::kNotFound) {
    served.response =
        Error(route.api, 404,
              route.api ? absl::StrCat("no such route: ", request.method, " ", request.path,
                                       " (docs/dashboard.md lists them)")
                        : "nothing here; the dashboard is at /",
              Refusal::kNotFound);
    return served;
  }
  if (route.outcome == RouteMatch::Outcome::kWrongMethod) {
    served.response = Error(
        route.api, 405,
        absl::StrCat(request.path, " takes ", std::string(route.allowed), ", not ", request.method),
        Refusal::kMethod);
    served.response.headers.emplace_back(
        "Allow", route.allowed == "GET" ? "GET, HEAD" : std::string(route.allowed));
    return served;
  }
  AccessDecision access = parts_.access->Decide(route, request, parts_.now_ms());
  if (!access.allowed) {
    served.response = Error(route.api, access.status, access.message, access.refusal);
    if (access.status == 401 && route.id == RouteId::kMetrics) {
      served.response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"jobq\"");
    }
    return served;
  }
  if (route.id == RouteId::kEvents) {
    if (absl::Status no_query = CheckNoQuery(request.query); !no_query.ok()) {
      served.response = Error(true, 400, no_query.message(), Refusal::kBadRequest);
      return served;
    }
    served.events = true;
    return served;
  }
  served.response = Route(route, request, access.caller);
  return served;
}

HttpResponse DashboardApi::Route(const RouteMatch& route, const HttpRequest& request,
                                 const Caller& caller) {
  switch (route.id) {
    case RouteId::kPage:
      return Page(request);
    case RouteId::kAsset:
      return AssetFile(route.param, request);
    case RouteId::kMetrics:
      return Metrics(request);
    case RouteId::kSession:
      return SessionInfo(caller);
    case RouteId::kLogin:
      return Login(request);
    case RouteId::kLogout:
      return Logout(request);
    case RouteId::kStatus:
      return Status(request);
    case RouteId::kEvents:
      break;  // streamed by the server
    case RouteId::kJobs:
      return Jobs(request);
    case RouteId::kJob:
      return Job(route.param);
    case RouteId::kRetryJobs:
      return RetryJobs(request);
    case RouteId::kCancelJobs:
      return CancelJobs(request);
    case RouteId::kPauseQueue:
    case RouteId::kResumeQueue:
    case RouteId::kPurgeQueue:
      return QueueAction(route.id, route.param);
    case RouteId::kDrainWorker:
      return DrainWorker(route.param);
    case RouteId::kSchedules:
      return Schedules(request);
    case RouteId::kLimits:
      return Limits(request);
    case RouteId::kWorkflows:
      return Workflows(request);
    case RouteId::kWorkflow:
      return Workflow(route.param);
  }
  return Error(true, 404, "no such route", Refusal::kNotFound);
}

HttpResponse DashboardApi::Page(const HttpRequest& request) {
  const Asset* index = FindAsset("index.html");
  if (index == nullptr) {
    return Error(false, 404,
                 "this broker was built without the dashboard's files (broker/dashboard/)",
                 Refusal::kNotFound);
  }
  return AssetFile("index.html", request);
}

HttpResponse DashboardApi::AssetFile(const std::string& path, const HttpRequest& request) {
  const Asset* asset = FindAsset(path);
  if (asset == nullptr) {
    return Error(false, 404, absl::StrCat("no file /assets/", path), Refusal::kNotFound);
  }
  HttpResponse response;
  response.content_type = std::string(asset->content_type);
  response.headers.emplace_back("ETag", std::string(asset->etag));
  // Revalidated on every load: a new broker's page is never mixed with an
  // old one's scripts, and an unchanged file costs a 304.
  response.headers.emplace_back("Cache-Control", "no-cache");
  if (EtagMatches(request.Header("if-none-match"), asset->etag)) {
    response.status = 304;
    return response;
  }
  response.body = std::string(asset->bytes);
  return response;
}

HttpResponse DashboardApi::Metrics(const HttpRequest& request) {
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> status = parts_.stamped_status();
  if (status == nullptr) {
    return Error(false, 503, "the broker is still starting", std::nullopt);
  }
  HttpResponse response;
  response.content_type = metrics::kPrometheusContentType;
  response.body = metrics::RenderPrometheus(*status);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse DashboardApi::Status(const HttpRequest& request) {
  if (absl::Status no_query = CheckNoQuery(request.query); !no_query.ok()) {
    return Error(true, 400, no_query.message(), Refusal::kBadRequest);
  }
  std::shared_ptr<const RenderedStatus> current = parts_.feed->Current();
  if (current == nullptr) {
    return Error(true, 503, "the broker is still starting; try again in a moment", std::nullopt);
  }
  return Json(current->json);
}

}  // namespace jobq::broker::http
