#pragma once
// HttpServer: the broker's dashboard listener (jobq-broker --http), on
// civetweb's threads. It turns each connection's request into an
// HttpRequest for DashboardApi and writes the answer with the security
// headers; GET /api/events becomes a Server-Sent Events stream fed by the
// StatusFeed, held by its civetweb thread until the client goes, its
// writes time out (a reader that stopped reading), or the server stops.
//
// Bounds: request line and headers 16 KiB (civetweb answers 400), a body
// 64 KiB (413 from Content-Length before reading; a chunked body is cut
// at the bound), headers within 10 s and each write within 10 s
// (civetweb's request_timeout_ms), event streams capped (503 over it),
// with civetweb's thread count sized to the cap plus room for requests.
// HTTPS (the admin TLS flags): TlsFront listens on the address and relays
// to civetweb on loopback.
//
// Start and Stop are called from one thread; everything else runs on
// civetweb's threads.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/http_status.h"
#include "broker/http/status_feed.h"
#include "broker/http/tls_front.h"

struct mg_context;
struct mg_connection;

namespace jobq::broker::http {

struct HttpServerOptions {
  std::string address;  // HOST:PORT, HOST an IP address; port 0 picks one
  // Both or neither: serve HTTPS with this PEM chain and key.
  std::string tls_cert;
  std::string tls_key;
  size_t event_streams_max = 256;
  int request_timeout_ms = 10'000;
  int keepalive_interval_ms = 15'000;
};

class HttpServer {
 public:
  // `api` and `feed` must outlive this. Refusals are counted by `api`,
  // civetweb's own (413, 408, 400) included: they are answered through it.
  HttpServer(DashboardApi* api, StatusFeed* feed) : api_(api), feed_(feed) {}
  ~HttpServer();  // Stop()

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] absl::Status Start(const HttpServerOptions& options);
  // "HOST:PORT" actually listened on, once started.
  const std::string& address() const { return bound_address_; }
  // Ends the event streams, finishes the requests in progress and stops
  // listening.
  void Stop();

 private:
  static int HandleRequest(mg_connection* connection, void* self);
  static int HandleCivetwebError(mg_connection* connection, int status, const char* message);
  void Stream(mg_connection* connection);

  DashboardApi* api_;
  StatusFeed* feed_;
  HttpServerOptions options_;
  mg_context* context_ = nullptr;
  std::string bound_address_;
  // HTTPS: TLS ends here and the plaintext goes on to civetweb on
  // loopback (Debian 12's civetweb cannot load OpenSSL 3 itself).
  TlsFront tls_front_;
};

}  // namespace jobq::broker::http
