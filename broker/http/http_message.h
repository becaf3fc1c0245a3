#pragma once
// An HTTP request and response as the dashboard's handlers see them,
// without civetweb: the server (http_server.cpp) fills a request from the
// connection and writes the response out, so routing, auth and the API
// handlers are plain functions of these (and unit-testable).

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace jobq::broker::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // URL-decoded, without the query: "/api/jobs"
  std::string query;   // raw, without '?': "state=dead&limit=50"
  // The headers the handlers read, by lower-case name (cookie,
  // authorization, x-csrf-token, origin, host, if-none-match).
  std::map<std::string, std::string> headers;
  std::string body;
  bool tls = false;

  // "" when absent.
  const std::string& Header(const std::string& lower_name) const {
    static const std::string kNone;
    auto found = headers.find(lower_name);
    return found == headers.end() ? kNone : found->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (Set-Cookie, ETag, Allow, ...); the security headers are
  // added by the server to every response.
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace jobq::broker::http
