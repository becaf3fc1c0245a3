// BrokerServer's standby (docs/postgres.md): the leadership lease on a
// shared postgres store, and the wait for it.

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/admin/admin_auth.h"
#include "broker/admin/admin_server.h"
#include "broker/admin/status_board.h"
#include "broker/broker_server.h"
#include "broker/leader/leader_endpoints.h"
#include "broker/leader/standby_control.h"
#include "broker/leader/standby_wait.h"
#include "broker/stop_signal.h"
#include "broker/store/postgres_lease.h"
#include "broker/store/postgres_store.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/wake_fd.h"

namespace jobq::broker {
namespace {

// A standby notices a lapsed lease at most this share of the lease late.
constexpr int kPollsPerLease = 8;

}  // namespace

std::optional<BrokerServer::Leadership> BrokerServer::WaitAsStandby(
    const store::PostgresStore& store) {
  admin::StatusBoard board;
  leader::StandbyControl control(&board, [] { stop_signal::Request(); });
  admin::AdminAuth admin_auth(config_.admin_tokens);
  admin::AdminServer admin_server(&board, &control, JOBQ_VERSION, &admin_auth);
  if (!StartAdmin(admin_server)) {
    return std::nullopt;
  }
  admin_server.SetServing(false);
  // The leader's admin service comes back on the very same ports, so that
  // whoever found this standby (port 0, the ready file) finds the leader.
  config_.admin = admin_server.address();
  if (!config_.health.empty()) {
    config_.health = admin_server.health_address();
  }
  // The endpoints as configured: a standby has bound none but its admin
  // port yet (the leader's admin service comes back on that one).
  const leader::LeaderEndpoints endpoints = {config_.frontend, config_.backend, config_.admin};
  absl::StatusOr<std::unique_ptr<store::PostgresLease>> opened =
      store::PostgresLease::Open(config_.store, config_.name, leader::EncodeEndpoints(endpoints));
  if (!opened.ok()) {
    JOBQ_LOG(kError, "broker", "cannot_open_store").Kv("why", opened.status().message());
    return std::nullopt;
  }
  std::shared_ptr<store::PostgresLease> lease = std::move(opened).value();

  const TimeMs started_ms = WallNowMs();
  auto publish = [&](const absl::StatusOr<leader::LeaderView>& leader) {
    auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
    status->set_version(JOBQ_VERSION);
    status->set_store(store.Describe());
    status->set_durable(true);
    status->set_uptime_ms(WallNowMs() - started_ms);
    ::jobq::admin::StoreHealth* health = status->mutable_store_health();
    health->set_reachable(leader.ok());
    if (!leader.ok()) {
      health->set_last_error(std::string(leader.status().message()));
    }
    ::jobq::admin::Leadership* leadership = status->mutable_leadership();
    leadership->set_role("standby");
    leadership->set_name(config_.name);
    if (leader.ok() && !leader->expired) {
      const leader::LeaderEndpoints theirs = leader::DecodeEndpoints(leader->endpoints);
      leadership->set_epoch(static_cast<uint64_t>(leader->epoch));
      leadership->set_leader(leader->holder);
      leadership->set_leader_frontend(theirs.frontend);
      leadership->set_leader_backend(theirs.backend);
      leadership->set_leader_admin(theirs.admin);
    }
    board.Publish(std::move(status));
  };
  publish(absl::UnavailableError("not asked yet"));
  // Announced (log line, ready file) only once the lease was found taken:
  // a broker that leads at its first try never says it stood by.
  bool announced = false;
  bool failed = false;
  auto publish_and_announce = [&](const absl::StatusOr<leader::LeaderView>& leader) {
    publish(leader);
    if (announced) {
      return;
    }
    announced = true;
    JOBQ_LOG(kInfo, "broker", "standby")
        .Kv("name", config_.name)
        .Kv("admin", admin_server.address())
        .Kv("store", store.Describe())
        .Kv("lease_ms", config_.leader_lease_ms);
    if (config_.ready_file.empty()) {
      return;
    }
    nlohmann::ordered_json ready = {{"admin", admin_server.address()}, {"role", "standby"}};
    if (!config_.health.empty()) {
      ready["health"] = admin_server.health_address();
    }
    if (!WriteJsonFile(config_.ready_file, ready)) {
      JOBQ_LOG(kError, "broker", "cannot_write_ready_file").Kv("path", config_.ready_file);
      failed = true;
    }
  };

  const std::chrono::milliseconds ttl(config_.leader_lease_ms);
  std::chrono::steady_clock::time_point asked;
  leader::LeaseOps ops;
  ops.try_acquire = [&]() -> absl::StatusOr<std::optional<int64_t>> {
    asked = std::chrono::steady_clock::now();
    return lease->TryAcquire(ttl);
  };
  ops.read = [&]() -> absl::StatusOr<leader::LeaderView> {
    absl::StatusOr<store::LeaderInfo> info = lease->Read();
    if (!info.ok()) {
      return info.status();
    }
    return leader::LeaderView{info->epoch, info->holder, info->endpoint, info->expired};
  };
  std::optional<int64_t> epoch = leader::WaitForLeadership(
      ops, ttl / kPollsPerLease, stop_signal::Wake(),
      [&failed] { return failed || stop_signal::Requested(); }, publish_and_announce);
  admin_server.Stop();
  if (!epoch.has_value()) {
    JOBQ_LOG(kInfo, "broker", "stopped");
    return std::nullopt;
  }
  JOBQ_LOG(kInfo, "broker", "leader").Kv("name", config_.name).Kv("epoch", *epoch);
  Leadership leadership;
  leadership.epoch = *epoch;
  leadership.acquired = asked;
  leadership.endpoints = endpoints;
  leadership.renew = [lease, ttl, epoch = *epoch] { return lease->Renew(epoch, ttl); };
  leadership.release = [lease, epoch = *epoch] { return lease->Release(epoch); };
  return leadership;
}

}  // namespace jobq::broker
