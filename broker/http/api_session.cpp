// GET /api/session, POST /api/login, POST /api/logout.

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/request_params.h"

namespace jobq::broker::http {
namespace {

std::string SessionCookie(const std::string& value, bool tls, bool end) {
  // HttpOnly: no script reads it; SameSite=Strict: no other site's page
  // sends it; Secure under TLS. No Max-Age: it ends with the browser, or
  // with the session on the broker, whichever comes first.
  return absl::StrCat(kSessionCookie, "=", value, "; HttpOnly; SameSite=Strict; Path=/",
                      tls ? "; Secure" : "", end ? "; Max-Age=0" : "");
}

}  // namespace

HttpResponse DashboardApi::SessionInfo(const Caller& caller) {
  nlohmann::ordered_json json = {{"auth", caller.authenticated},
                                 {"tokens", parts_.access->tokens()}};
  if (caller.authenticated) {
    json["role"] = std::string(admin::RoleName(caller.role));
    json["csrf"] =
        caller.csrf.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(caller.csrf);
  } else {
    json["role"] = nullptr;
    json["csrf"] = nullptr;
  }
  return Json(json.dump());
}

HttpResponse DashboardApi::Login(const HttpRequest& request) {
  absl::StatusOr<std::string> token = ParseLoginBody(request.body);
  if (!token.ok()) {
    return Error(true, 400, token.status().message(), Refusal::kBadRequest);
  }
  if (!parts_.access->tokens()) {
    // An open broker: nothing to log in to; everyone acts already.
    return Json(nlohmann::ordered_json{{"role", "admin"}}.dump());
  }
  std::optional<admin::AdminRole> role = parts_.access->auth().RoleOf(*token);
  if (!role.has_value()) {
    return Error(true, 401, "token not recognised by this broker (see --admin-tokens)",
                 Refusal::kUnauthenticated);
  }
  const NewSession session = parts_.access->sessions().Create(*role, parts_.now_ms());
  HttpResponse response = Json(nlohmann::ordered_json{
      {"role", std::string(admin::RoleName(*role))},
      {"csrf", session.csrf}}.dump());
  response.headers.emplace_back("Set-Cookie", SessionCookie(session.cookie, request.tls, false));
  return response;
}

HttpResponse DashboardApi::Logout(const HttpRequest& request) {
  const std::string cookie = CookieValue(request.Header("cookie"), kSessionCookie);
  if (!cookie.empty()) {
    parts_.access->sessions().Remove(cookie);
  }
  HttpResponse response = Json(nlohmann::ordered_json{{"auth", false}}.dump());
  response.headers.emplace_back("Set-Cookie", SessionCookie("", request.tls, true));
  return response;
}

}  // namespace jobq::broker::http
