#include "broker/http/http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/http/request_params.h"
#include "broker/http/security_headers.h"
#include "broker/metrics/civetweb_start.h"
#include "common/log.h"

namespace jobq::broker::http {
namespace {

// Threads kept for plain requests beside the event streams, so that a
// full set of streams never holds up the page, the API or /metrics.
constexpr size_t kRequestThreads = 16;
constexpr const char* kMaxRequestBytes = "16384";

// The headers DashboardApi and Access read.
constexpr const char* kHeadersRead[] = {"cookie", "authorization", "x-csrf-token", "origin",
                                        "host",   "if-none-match", "content-type"};

int LogCivetwebMessage(const mg_connection*, const char* message) {
  JOBQ_LOG(kDebug, "http", "civetweb_message").Kv("text", message);
  return 1;  // handled: civetweb prints nothing itself
}

// Writes `response` (no body for HEAD). Every answer closes its
// connection: no idle keep-alive connection holds a civetweb thread.
void Write(mg_connection* connection, const HttpResponse& response, bool api, bool head) {
  std::string head_text = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                       std::string(ReasonPhrase(response.status)), "\r\n");
  if (response.status != 304) {
    absl::StrAppend(&head_text, "Content-Type: ", response.content_type,
                    "\r\nContent-Length: ", response.body.size(), "\r\n");
  }
  bool cache_set = false;
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head_text, name, ": ", value, "\r\n");
    cache_set = cache_set || name == "Cache-Control";
  }
  if (!cache_set && (api || response.status >= 400)) {
    head_text += "Cache-Control: no-store\r\n";
  }
  absl::StrAppend(&head_text, std::string(SecurityHeaderLines()), "Connection: close\r\n\r\n");
  mg_write(connection, head_text.data(), head_text.size());
  if (!head && response.status != 304 && !response.body.empty()) {
    mg_write(connection, response.body.data(), response.body.size());
  }
}

// False when `bytes` did not all go out: the client went away, or did not
// read within request_timeout_ms (civetweb gives up on the write then).
bool WriteAll(mg_connection* connection, std::string_view bytes) {
  return mg_write(connection, bytes.data(), bytes.size()) == static_cast<int>(bytes.size());
}

// Reads the body into *body. False when it is over kBodyBytesMax: from
// Content-Length before reading a byte, or as soon as a chunked body
// passes the bound.
bool ReadBody(mg_connection* connection, const mg_request_info* info, std::string* body) {
  if (info->content_length > static_cast<long long>(kBodyBytesMax)) {
    return false;
  }
  char buffer[8192];
  while (true) {
    const int got = mg_read(connection, buffer, sizeof(buffer));
    if (got <= 0) {
      return true;
    }
    if (body->size() + static_cast<size_t>(got) > kBodyBytesMax) {
      return false;
    }
    body->append(buffer, static_cast<size_t>(got));
  }
}

}  // namespace

HttpServer::~HttpServer() { Stop(); }

int HttpServer::HandleRequest(mg_connection* connection, void* self_pointer) {
  auto* self = static_cast<HttpServer*>(self_pointer);
  const mg_request_info* info = mg_get_request_info(connection);
  HttpRequest request;
  request.method = info->request_method != nullptr ? info->request_method : "";
  request.path = info->local_uri != nullptr ? info->local_uri : "/";
  request.query = info->query_string != nullptr ? info->query_string : "";
  request.tls = info->is_ssl != 0 || !self->options_.tls_cert.empty();
  for (const char* name : kHeadersRead) {
    if (const char* value = mg_get_header(connection, name); value != nullptr) {
      request.headers[name] = value;
    }
  }
  const bool api = request.path.rfind("/api/", 0) == 0;
  const bool head = request.method == "HEAD";
  if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    if (!ReadBody(connection, info, &request.body)) {
      Write(connection,
            self->api_->Error(api, 413,
                              absl::StrCat("the body is over ", kBodyBytesMax / 1024,
                                           " KiB; send less (at most ", kActionIdsMax, " ids)"),
                              Refusal::kTooLarge),
            api, head);
      return 413;
    }
  }
  Served served = self->api_->Serve(request);
  if (served.events) {
    self->Stream(connection);
    return 200;
  }
  Write(connection, served.response, api, head);
  return served.response.status;
}

void HttpServer::Stream(mg_connection* connection) {
  if (!feed_->TryOpen()) {
    Write(connection,
          api_->Error(true, 503,
                      absl::StrCat("too many event streams (at most ", options_.event_streams_max,
                                   "); close another dashboard, or poll GET /api/status"),
                      Refusal::kBusy),
          true, false);
    return;
  }
  const std::string head = absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n",
      std::string(SecurityHeaderLines()), "Connection: close\r\n\r\nretry: 2000\n\n");
  bool open = WriteAll(connection, head);
  uint64_t sent = 0;
  if (open) {
    if (std::shared_ptr<const RenderedStatus> first = feed_->Current()) {
      open = WriteAll(connection, first->event);
      sent = first->sequence;
    }
  }
  const std::chrono::milliseconds keepalive(options_.keepalive_interval_ms);
  while (open && !feed_->stopped()) {
    std::shared_ptr<const RenderedStatus> next = feed_->Next(sent, keepalive);
    if (feed_->stopped()) {
      break;
    }
    if (next == nullptr) {
      // A comment line: keeps proxies from closing an idle stream and
      // finds a client that went away.
      constexpr std::string_view kKeepalive = ": keepalive\n\n";
      open = WriteAll(connection, kKeepalive);
    } else {
      // The same string for every stream: rendered once per snapshot. A
      // write that cannot finish within request_timeout_ms (the reader
      // stopped reading and the socket's buffers are full) fails, and
      // the stream ends.
      open = WriteAll(connection, next->event);
      sent = next->sequence;
    }
  }
  feed_->Close();
}

int HttpServer::HandleCivetwebError(mg_connection* connection, int status, const char* message) {
  // Errors civetweb finds before a handler runs: a request line or headers
  // over max_request_size (413), headers that did not come within
  // request_timeout_ms (408), a malformed request (400).
  mg_context* context = mg_get_context(connection);
  auto* self = context != nullptr ? static_cast<HttpServer*>(mg_get_user_data(context)) : nullptr;
  if (self == nullptr) {
    return 1;  // civetweb's own answer
  }
  std::optional<Refusal> refusal;
  if (status == 413 || status == 431) {
    refusal = Refusal::kTooLarge;
  } else if (status == 408) {
    refusal = Refusal::kTimeout;
  } else if (status >= 400 && status < 500) {
    refusal = Refusal::kBadRequest;
  }
  HttpResponse response =
      self->api_->Error(false, status, message != nullptr ? message : "bad request", refusal);
  Write(connection, response, false, false);
  return 0;  // answered here
}

absl::Status HttpServer::Start(const HttpServerOptions& options) {
  options_ = options;
  const std::string& address = options.address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError("--http address \"" + address +
                                      "\" is not HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  const bool tls = !options.tls_cert.empty();
  // With TLS, civetweb listens on loopback only, behind the TLS front.
  const std::string ports = tls ? std::string("127.0.0.1:0") : address;
  const std::string threads = std::to_string(options.event_streams_max + kRequestThreads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const char* civetweb_options[] = {"listening_ports",
                                    ports.c_str(),
                                    "num_threads",
                                    threads.c_str(),
                                    "request_timeout_ms",
                                    timeout.c_str(),
                                    "max_request_size",
                                    kMaxRequestBytes,
                                    "enable_keep_alive",
                                    "no",
                                    "access_control_allow_origin",
                                    "",
                                    nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = LogCivetwebMessage;
  callbacks.http_error = HandleCivetwebError;
  absl::StatusOr<metrics::CivetwebStarted> started =
      metrics::StartCivetweb(civetweb_options, callbacks, this);
  if (!started.ok()) {
    if (started.status().code() == absl::StatusCode::kInternal) {
      return absl::InternalError("the --http server on " + address + " has no port");
    }
    return absl::UnavailableError("cannot serve --http on " + address + ": " +
                                  std::string(started.status().message()) +
                                  " (in use? HOST must be an IP address)");
  }
  context_ = started->context;
  // One handler for every path: routing is DashboardApi's (router.h).
  mg_set_request_handler(context_, "/", &HttpServer::HandleRequest, this);
  if (tls) {
    if (absl::Status front = tls_front_.Start(
            address, options.tls_cert, options.tls_key, started->port,
            options.event_streams_max + kRequestThreads, options.request_timeout_ms);
        !front.ok()) {
      Stop();
      return front;
    }
    bound_address_ = tls_front_.address();
    return absl::OkStatus();
  }
  bound_address_ = address.substr(0, colon) + ":" + std::to_string(started->port);
  return absl::OkStatus();
}

void HttpServer::Stop() {
  tls_front_.Stop();  // no new connections; the relays end
  if (context_ != nullptr) {
    feed_->Stop();                    // the streams end at their next wake-up
    metrics::StopCivetweb(context_);  // waits for the requests in progress
    context_ = nullptr;
  }
}

}  // namespace jobq::broker::http
