#pragma once
// BrokerServer: wires the broker's parts together — store, core, ZeroMQ
// loop, gRPC admin — and runs them until SIGTERM/SIGINT. One per process
// (it installs signal handlers); tests run the real binary instead.
//
// On a postgres store shared with other brokers (docs/postgres.md) it
// first waits as a standby until it holds the leadership lease, serves
// while it keeps the lease, and waits again when it loses it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/broker_config.h"
#include "broker/leader/leader_endpoints.h"
#include "broker/store/store.h"

namespace jobq::broker {

namespace admin {
class AdminServer;
}  // namespace admin
namespace store {
class PostgresStore;
}  // namespace store

// Writes `json` to `path` whole or not at all (a temporary file renamed):
// the ready file that tests and scripts wait for.
bool WriteJsonFile(const std::string& path, const nlohmann::ordered_json& json);

class BrokerServer {
 public:
  explicit BrokerServer(BrokerConfig config);
  ~BrokerServer();
  // Returns the process exit code: 0 after a clean stop, 1 when the broker
  // could not start or failed while running.
  int Run();

 private:
  // What Serve returns when the broker lost its leadership.
  static constexpr int kSteppedDown = -1;

  // This broker's term as leader, from its acquisition of the lease.
  struct Leadership {
    int64_t epoch = 0;
    std::chrono::steady_clock::time_point acquired;  // when the acquiring call was sent
    leader::LeaderEndpoints endpoints;
    // Bound to the lease's own connection; renew from one thread at a time.
    std::function<absl::StatusOr<bool>()> renew;
    std::function<absl::Status()> release;
  };

  // Starts `server` on --admin (TLS with --admin-tls-cert) and --health;
  // false once the error is logged.
  bool StartAdmin(admin::AdminServer& server) const;
  // The store --store names, opened; null once the error is logged.
  std::unique_ptr<store::Store> OpenStore();
  // OpenStore, tried again with a backoff (100 ms doubling to 2 s) until it
  // opens or a stop is requested (null then): after a step-down, the
  // database may be what the broker lost.
  std::unique_ptr<store::Store> OpenStoreWhenReachable();
  // Serves until stopped (an exit code) or, with `leadership`, until the
  // lease is lost (kSteppedDown).
  int Serve(store::Store* store, const Leadership* leadership);
  // broker_standby.cpp: serves the admin port as a standby (status, health
  // NOT_SERVING) until this broker takes the lease on `store`'s database;
  // nullopt when stopped first, or when the lease cannot be opened.
  std::optional<Leadership> WaitAsStandby(const store::PostgresStore& store);

  BrokerConfig config_;
};

}  // namespace jobq::broker
