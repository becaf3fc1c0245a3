#include "broker/http/access.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jobq::broker::http {
namespace {

AccessDecision Refuse(Refusal refusal, int status, std::string message, Caller caller = {}) {
  AccessDecision decision;
  decision.allowed = false;
  decision.refusal = refusal;
  decision.status = status;
  decision.message = std::move(message);
  decision.caller = std::move(caller);
  return decision;
}

}  // namespace

std::string CookieValue(const std::string& header, const std::string& name) {
  for (absl::string_view pair : absl::StrSplit(header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) {
      return std::string(pair);
    }
  }
  return "";
}

bool OriginMatchesHost(const std::string& origin, const std::string& host) {
  absl::string_view rest = origin;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return false;  // "null" (a sandboxed or file: page) and anything else
  }
  return !host.empty() && absl::EqualsIgnoreCase(rest, host);
}

Access::Access(const admin::AdminAuth* auth, SessionStore* sessions)
    : auth_(auth), sessions_(sessions), open_csrf_(RandomHex256()) {}

AccessDecision Access::Decide(const RouteMatch& route, const HttpRequest& request, int64_t now_ms) {
  const bool post = request.method == "POST";
  if (post) {
    const std::string& origin = request.Header("origin");
    if (!origin.empty() && !OriginMatchesHost(origin, request.Header("host"))) {
      return Refuse(Refusal::kCsrf, 403,
                    absl::StrCat("Origin ", origin, " is not this broker (Host ",
                                 request.Header("host"), "): cross-site requests are refused"));
    }
  }

  Caller caller;
  const std::string& authorization = request.Header("authorization");
  const std::string cookie = CookieValue(request.Header("cookie"), kSessionCookie);
  if (!authorization.empty()) {
    caller.bearer = true;
    absl::string_view token = authorization;
    // RFC 6750: the scheme is case-insensitive.
    if (token.size() < 7 || !absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ")) {
      return Refuse(Refusal::kUnauthenticated, 401,
                    "Authorization must be \"Bearer TOKEN\" (a token of --admin-tokens)");
    }
    token.remove_prefix(7);
    if (!tokens()) {
      caller.authenticated = true;
      caller.role = admin::AdminRole::kAdmin;
    } else if (std::optional<admin::AdminRole> role =
                   auth_->RoleOf(std::string_view(token.data(), token.size()))) {
      caller.authenticated = true;
      caller.role = *role;
    } else {
      return Refuse(Refusal::kUnauthenticated, 401, "token not recognised by this broker");
    }
  } else if (std::optional<Session> session = sessions_->Find(cookie, now_ms)) {
    caller.authenticated = true;
    caller.role = session->role;
    caller.csrf = session->csrf;
  } else if (!tokens()) {
    caller.authenticated = true;
    caller.role = admin::AdminRole::kAdmin;
    caller.csrf = open_csrf_;
  }

  if (route.id == RouteId::kLogin || (route.rpc.empty() && !post)) {
    AccessDecision decision;
    decision.caller = std::move(caller);
    return decision;
  }
  if (!caller.authenticated) {
    return Refuse(Refusal::kUnauthenticated, 401,
                  cookie.empty() ? "log in first: POST /api/login with {\"token\": \"...\"}, or "
                                   "send Authorization: Bearer TOKEN"
                                 : "your session has ended (logged out, expired or the broker "
                                   "restarted): log in again",
                  caller);
  }
  if (post && !caller.bearer &&
      !admin::ConstantTimeEquals(request.Header("x-csrf-token"), caller.csrf)) {
    return Refuse(Refusal::kCsrf, 403,
                  request.Header("x-csrf-token").empty()
                      ? "X-CSRF-Token is missing: send the csrf value of GET /api/session"
                      : "X-CSRF-Token does not match this session: reload GET /api/session",
                  caller);
  }
  if (!route.rpc.empty()) {
    const std::optional<admin::AdminRole> needed = admin::RequiredRole(route.rpc);
    if (!needed.has_value() ||
        (*needed == admin::AdminRole::kAdmin && caller.role != admin::AdminRole::kAdmin)) {
      return Refuse(Refusal::kForbidden, 403,
                    absl::StrCat("this session or token is read-only; ", std::string(route.rpc),
                                 " needs an admin token"),
                    caller);
    }
  }
  AccessDecision decision;
  decision.caller = std::move(caller);
  return decision;
}

}  // namespace jobq::broker::http
