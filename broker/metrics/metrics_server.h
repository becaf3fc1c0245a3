#pragma once
// MetricsServer: serves GET /metrics, the Prometheus text of the latest
// status snapshot, over HTTP (civetweb, on civetweb's own threads). It never
// touches the broker loop's state: each request renders whatever snapshot
// `source` returns (the StatusBoard the loop publishes to every 200 ms).
//
// Start and Stop are called from one thread; `source` is called on
// civetweb's threads and must be thread-safe.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "jobq/admin.pb.h"

struct mg_context;
struct mg_connection;

namespace jobq::broker::metrics {

class MetricsServer {
 public:
  // Null until a snapshot exists (then requests get 503).
  using SnapshotSource = std::function<std::shared_ptr<const ::jobq::admin::GetStatusResponse>()>;

  explicit MetricsServer(SnapshotSource source);
  ~MetricsServer();  // Stop()

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on `address`, HOST:PORT (port 0 picks a free one).
  [[nodiscard]] absl::Status Start(const std::string& address);
  // "HOST:PORT" actually listened on, once started.
  const std::string& address() const { return bound_address_; }
  // Finishes the requests in progress and stops listening.
  void Stop();

 private:
  static int HandleMetrics(mg_connection* connection, void* self);

  SnapshotSource source_;
  mg_context* context_ = nullptr;
  std::string bound_address_;
};

}  // namespace jobq::broker::metrics
