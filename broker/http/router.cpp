#include "broker/http/router.h"

#include <vector>

namespace jobq::broker::http {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  while (true) {
    const size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return segments;
    }
    path.remove_prefix(slash + 1);
  }
}

RouteMatch Found(RouteId id, std::string_view method, std::string_view rpc,
                 std::string param = "") {
  RouteMatch match;
  match.outcome = RouteMatch::Outcome::kFound;
  match.id = id;
  match.allowed = method;
  match.rpc = rpc;
  match.param = std::move(param);
  return match;
}

// The route for `segments` (the path after /api/) whatever the method;
// kNotFound when none.
RouteMatch MatchApi(const std::vector<std::string_view>& segments) {
  const size_t n = segments.size();
  if (n == 1) {
    const std::string_view name = segments[0];
    if (name == "session") {
      return Found(RouteId::kSession, "GET", "");
    }
    if (name == "login") {
      return Found(RouteId::kLogin, "POST", "");
    }
    if (name == "logout") {
      return Found(RouteId::kLogout, "POST", "");
    }
    if (name == "status") {
      return Found(RouteId::kStatus, "GET", "GetStatus");
    }
    if (name == "events") {
      return Found(RouteId::kEvents, "GET", "WatchStatus");
    }
    if (name == "jobs") {
      return Found(RouteId::kJobs, "GET", "ListJobs");
    }
    if (name == "schedules") {
      return Found(RouteId::kSchedules, "GET", "ListSchedules");
    }
    if (name == "limits") {
      return Found(RouteId::kLimits, "GET", "ListLimits");
    }
    if (name == "workflows") {
      return Found(RouteId::kWorkflows, "GET", "ListWorkflows");
    }
  } else if (n == 2 && !segments[1].empty()) {
    if (segments[0] == "jobs") {
      if (segments[1] == "retry") {
        return Found(RouteId::kRetryJobs, "POST", "RetryJobs");
      }
      if (segments[1] == "cancel") {
        return Found(RouteId::kCancelJobs, "POST", "CancelJobs");
      }
      return Found(RouteId::kJob, "GET", "GetJob", std::string(segments[1]));
    }
    if (segments[0] == "workflows") {
      return Found(RouteId::kWorkflow, "GET", "GetWorkflow", std::string(segments[1]));
    }
  } else if (n == 3 && !segments[1].empty()) {
    const std::string name(segments[1]);
    if (segments[0] == "queues") {
      if (segments[2] == "pause") {
        return Found(RouteId::kPauseQueue, "POST", "PauseQueue", name);
      }
      if (segments[2] == "resume") {
        return Found(RouteId::kResumeQueue, "POST", "ResumeQueue", name);
      }
      if (segments[2] == "purge") {
        return Found(RouteId::kPurgeQueue, "POST", "PurgeQueue", name);
      }
    }
    if (segments[0] == "workers" && segments[2] == "drain") {
      return Found(RouteId::kDrainWorker, "POST", "DrainWorker", name);
    }
  }
  return RouteMatch();
}

}  // namespace

RouteMatch MatchRoute(std::string_view method, std::string_view path) {
  RouteMatch match;
  bool head_allowed = false;
  if (path == "/") {
    match = Found(RouteId::kPage, "GET", "");
    head_allowed = true;
  } else if (path == "/metrics") {
    match = Found(RouteId::kMetrics, "GET", "GetStatus");
    head_allowed = true;
  } else if (StartsWith(path, "/assets/") && path.size() > 8) {
    match = Found(RouteId::kAsset, "GET", "", std::string(path.substr(8)));
    head_allowed = true;
  } else if (StartsWith(path, "/api/")) {
    match = MatchApi(Segments(path.substr(5)));
    match.api = true;
  } else if (path == "/api") {
    match.api = true;
  }
  if (match.outcome != RouteMatch::Outcome::kFound) {
    return match;
  }
  if (method == match.allowed || (head_allowed && method == "HEAD")) {
    return match;
  }
  match.outcome = RouteMatch::Outcome::kWrongMethod;
  return match;
}

}  // namespace jobq::broker::http
