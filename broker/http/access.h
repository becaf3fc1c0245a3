#pragma once
// Access: who is calling the dashboard and whether they may. A caller is
// known by `Authorization: Bearer TOKEN` (scripts) or by the session
// cookie jobq_session (the page, after POST /api/login). Roles are the
// admin tokens' (broker/admin/admin_tokens.h): a read token sees, an
// admin token acts; which one a route needs is its admin RPC's role
// (rpc_roles.h). Without tokens the broker is open and everyone is admin
// (protected mode keeps such a broker on loopback).
//
// CSRF: every POST but /api/login made with the cookie carries
// X-CSRF-Token equal to its session's token (GET /api/session gives it to
// the page); an open broker has one such token for everybody, so a
// foreign page still cannot act through a browser. A POST whose Origin
// header names another host than Host is refused too. Bearer calls need
// no CSRF token: a browser never adds that header by itself.
//
// Thread-safe: the tokens never change; SessionStore locks.

#include <cstdint>
#include <optional>
#include <string>

#include "broker/admin/admin_auth.h"
#include "broker/http/http_message.h"
#include "broker/http/http_status.h"
#include "broker/http/router.h"
#include "broker/http/sessions.h"

namespace jobq::broker::http {

inline constexpr const char* kSessionCookie = "jobq_session";

struct Caller {
  bool authenticated = false;
  admin::AdminRole role = admin::AdminRole::kRead;
  bool bearer = false;
  std::string csrf;  // the session's token (the open broker's without tokens)
};

struct AccessDecision {
  bool allowed = true;
  Refusal refusal = Refusal::kUnauthenticated;
  int status = 200;
  std::string message;
  Caller caller;
};

class Access {
 public:
  // `auth` and `sessions` must outlive this.
  Access(const admin::AdminAuth* auth, SessionStore* sessions);

  bool tokens() const { return auth_->enabled(); }
  const admin::AdminAuth& auth() const { return *auth_; }
  SessionStore& sessions() { return *sessions_; }

  // The decision for `request` on `route` at `now_ms` (the sessions'
  // clock): identifies the caller, checks the Origin and CSRF token of a
  // POST, and the role the route's RPC needs.
  AccessDecision Decide(const RouteMatch& route, const HttpRequest& request, int64_t now_ms);

 private:
  const admin::AdminAuth* auth_;
  SessionStore* sessions_;
  const std::string open_csrf_;
};

// The value of cookie `name` in a Cookie header ("a=1; jobq_session=..."); "" when absent.
std::string CookieValue(const std::string& header, const std::string& name);

// Whether an Origin header value ("https://host:port") names `host` (the
// Host header, "host:port"). Compared without case; the scheme is not
// compared (TLS or not, the listener is the same).
bool OriginMatchesHost(const std::string& origin, const std::string& host);

}  // namespace jobq::broker::http
