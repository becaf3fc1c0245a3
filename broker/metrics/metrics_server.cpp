#include "broker/metrics/metrics_server.h"

#include <civetweb.h>

#include <cstring>

#include "broker/metrics/civetweb_start.h"
#include "broker/metrics/metrics_text.h"
#include "common/log.h"

namespace jobq::broker::metrics {
namespace {

// civetweb's own messages (a refused connection, a malformed request)
// become log lines of ours rather than free text on stderr.
int LogCivetwebMessage(const mg_connection*, const char* message) {
  JOBQ_LOG(kDebug, "metrics", "http_message").Kv("text", message);
  return 1;  // handled: civetweb prints nothing itself
}

void SendPlain(mg_connection* connection, int code, const char* reason, const std::string& body,
               const char* content_type = "text/plain; charset=utf-8") {
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            code, reason, content_type, body.size());
  mg_write(connection, body.data(), body.size());
}

}  // namespace

MetricsServer::MetricsServer(SnapshotSource source) : source_(std::move(source)) {}

MetricsServer::~MetricsServer() { Stop(); }

int MetricsServer::HandleMetrics(mg_connection* connection, void* self) {
  const mg_request_info* request = mg_get_request_info(connection);
  const bool head = std::strcmp(request->request_method, "HEAD") == 0;
  if (!head && std::strcmp(request->request_method, "GET") != 0) {
    SendPlain(connection, 405, "Method Not Allowed", "GET /metrics only\n");
    return 405;
  }
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> snapshot =
      static_cast<MetricsServer*>(self)->source_();
  if (snapshot == nullptr) {
    SendPlain(connection, 503, "Service Unavailable", "the broker is still starting\n");
    return 503;
  }
  const std::string text = RenderPrometheus(*snapshot);
  if (head) {
    mg_printf(connection,
              "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              kPrometheusContentType, text.size());
    return 200;
  }
  SendPlain(connection, 200, "OK", text, kPrometheusContentType);
  return 200;
}

absl::Status MetricsServer::Start(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError("metrics address \"" + address +
                                      "\" is not HOST:PORT (e.g. 127.0.0.1:9464)");
  }
  // No document_root: civetweb serves no files, only the handler below.
  const char* options[] = {
      "listening_ports", address.c_str(),     "num_threads", "2",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "no",          nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = LogCivetwebMessage;
  absl::StatusOr<CivetwebStarted> started = StartCivetweb(options, callbacks, this);
  if (!started.ok()) {
    if (started.status().code() == absl::StatusCode::kInternal) {
      return absl::InternalError("the metrics server on " + address + " has no port");
    }
    return absl::UnavailableError("cannot serve metrics on " + address + ": " +
                                  std::string(started.status().message()) +
                                  " (in use? HOST must be an IP address; choose --metrics)");
  }
  context_ = started->context;
  mg_set_request_handler(context_, "/metrics$", &MetricsServer::HandleMetrics, this);
  bound_address_ = address.substr(0, colon) + ":" + std::to_string(started->port);
  return absl::OkStatus();
}

void MetricsServer::Stop() {
  if (context_ != nullptr) {
    StopCivetweb(context_);
    context_ = nullptr;
  }
}

}  // namespace jobq::broker::metrics
