#include "broker/broker_server.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/admin/admin_auth.h"
#include "broker/admin/admin_server.h"
#include "broker/admin/admin_tls.h"
#include "broker/admin/status_board.h"
#include "broker/admin_flags.h"
#include "broker/control/loop_control.h"
#include "broker/core/broker_core.h"
#include "broker/curve_flags.h"
#include "broker/http/access.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/http_server.h"
#include "broker/http/sessions.h"
#include "broker/http/status_feed.h"
#include "broker/leader/lease_keeper.h"
#include "broker/metrics/metrics_server.h"
#include "broker/net/broker_loop.h"
#include "broker/stop_signal.h"
#include "broker/store/deposed.h"
#include "broker/store/postgres_store.h"
#include "broker/store/sqlite_store.h"
#include "broker/store/volatile_store.h"
#include "broker/store_flags.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/wake_fd.h"

namespace jobq::broker {
namespace {

constexpr const char* kVersion = JOBQ_VERSION;  // project(VERSION) in CMakeLists.txt

// Where a lost lease goes: to the loop once it runs; before that (the
// recovery), kept for Serve to see.
class StepDownHook {
 public:
  void Lost(absl::Status why) {
    std::lock_guard lock(mutex_);
    lost_ = true;
    if (loop_ != nullptr) {
      loop_->StepDown(std::move(why));
    } else {
      why_ = std::move(why);
    }
  }
  // The reason, when the lease was lost before the loop ran.
  absl::Status Attach(net::BrokerLoop* loop) {
    std::lock_guard lock(mutex_);
    loop_ = loop;
    return why_;
  }
  void Detach() {
    std::lock_guard lock(mutex_);
    loop_ = nullptr;
  }
  bool lost() {
    std::lock_guard lock(mutex_);
    return lost_;
  }

 private:
  std::mutex mutex_;
  net::BrokerLoop* loop_ = nullptr;
  absl::Status why_;
  bool lost_ = false;
};

// `metrics_address`, `health_address` and `http_address` are left out
// when empty (no --metrics, --health, --http).
// `role` ("leader"), on a shared store only.
bool WriteReadyFile(const std::string& path, const net::BrokerLoop& loop,
                    const std::string& admin_address, const std::string& metrics_address,
                    const std::string& health_address, const std::string& http_address,
                    const std::string& role) {
  nlohmann::ordered_json ready = {{"frontend", loop.frontend_endpoint()},
                                  {"backend", loop.backend_endpoint()},
                                  {"admin", admin_address}};
  if (!role.empty()) {
    ready["role"] = role;
  }
  if (!metrics_address.empty()) {
    ready["metrics"] = metrics_address;
  }
  if (!health_address.empty()) {
    ready["health"] = health_address;
  }
  if (!http_address.empty()) {
    ready["http"] = http_address;
  }
  return WriteJsonFile(path, ready);
}

}  // namespace

bool WriteJsonFile(const std::string& path, const nlohmann::ordered_json& json) {
  // Written under a temporary name and renamed, so a reader never sees half.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    // An ipc:// path may be any bytes: replaced, not thrown on, if not UTF-8.
    out << json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!out) {
      return false;
    }
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

BrokerServer::BrokerServer(BrokerConfig config) : config_(std::move(config)) {}

BrokerServer::~BrokerServer() = default;

int BrokerServer::Run() {
  SetLogLevel(config_.log_level);
  stop_signal::Install();
  std::unique_ptr<store::Store> store = OpenStore();
  if (store == nullptr) {
    return 1;
  }
  if (!IsPostgresStore(config_.store)) {
    return Serve(store.get(), nullptr);
  }
  // Brokers sharing the store: lead when the lease is free, else wait as a
  // standby; a leader that loses its lease steps down and waits again.
  auto* postgres = static_cast<store::PostgresStore*>(store.get());
  while (true) {
    std::optional<Leadership> leadership = WaitAsStandby(*postgres);
    if (!leadership.has_value()) {
      return stop_signal::Requested() ? 0 : 1;
    }
    postgres->SetFencingEpoch(leadership->epoch);
    const int served = Serve(store.get(), &*leadership);
    if (served != kSteppedDown) {
      return served;
    }
    // A fresh store: the loop cancelled the last one's waits as it stopped.
    store = OpenStoreWhenReachable();
    if (store == nullptr) {
      return stop_signal::Requested() ? 0 : 1;
    }
    postgres = static_cast<store::PostgresStore*>(store.get());
  }
}

std::unique_ptr<store::Store> BrokerServer::OpenStore() {
  if (config_.store == "memory") {
    return std::make_unique<store::VolatileStore>();
  }
  absl::StatusOr<std::unique_ptr<store::Store>> opened;
  if (IsPostgresStore(config_.store)) {
    opened = store::PostgresStore::Open(config_.store);
  } else {
    if (config_.store_in_data_dir) {
      std::error_code error;
      std::filesystem::create_directories(config_.data_dir, error);
      if (error) {
        JOBQ_LOG(kError, "broker", "cannot_create_data_dir")
            .Kv("path", config_.data_dir)
            .Kv("why", error.message());
        return nullptr;
      }
    }
    opened = store::SqliteStore::Open(config_.store.substr(std::string("sqlite:").size()));
  }
  if (!opened.ok()) {
    JOBQ_LOG(kError, "broker", "cannot_open_store").Kv("why", opened.status().message());
    return nullptr;
  }
  return std::move(opened).value();
}

std::unique_ptr<store::Store> BrokerServer::OpenStoreWhenReachable() {
  std::chrono::milliseconds delay(100);
  while (!stop_signal::Requested()) {
    if (std::unique_ptr<store::Store> store = OpenStore()) {
      return store;
    }
    pollfd stop{stop_signal::Wake().fd(), POLLIN, 0};
    ::poll(&stop, 1, static_cast<int>(delay.count()));
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
  return nullptr;
}

bool BrokerServer::StartAdmin(admin::AdminServer& server) const {
  std::shared_ptr<grpc::ServerCredentials> tls;
  if (!config_.admin_tls_cert.empty()) {
    auto loaded = admin::LoadAdminTlsCredentials(config_.admin_tls_cert, config_.admin_tls_key);
    if (!loaded.ok()) {
      JOBQ_LOG(kError, "broker", "cannot_load_admin_tls").Kv("why", loaded.status().message());
      return false;
    }
    tls = *std::move(loaded);
  }
  if (absl::Status started = server.Start(config_.admin, tls); !started.ok()) {
    JOBQ_LOG(kError, "broker", "cannot_listen").Kv("why", started.message());
    return false;
  }
  if (!config_.health.empty()) {
    if (absl::Status started = server.StartHealth(config_.health); !started.ok()) {
      JOBQ_LOG(kError, "broker", "cannot_listen").Kv("why", started.message());
      return false;
    }
  }
  return true;
}

int BrokerServer::Serve(store::Store* store, const Leadership* leadership) {
  RealClock clock;
  config_.core.seed = static_cast<uint64_t>(clock.NowMs());
  // The lease is kept from before the recovery, which may take seconds.
  StepDownHook step_down;
  std::optional<leader::LeaseKeeper> keeper;
  if (leadership != nullptr) {
    keeper.emplace(leadership->renew, std::chrono::milliseconds(config_.leader_lease_ms),
                   leadership->acquired,
                   [&step_down](absl::Status why) { step_down.Lost(std::move(why)); });
  }
  core::BrokerCore core(config_.core);

  auto recovered = store->Recover();
  if (leadership != nullptr && !recovered.ok() && store::IsDeposed(recovered.status())) {
    return kSteppedDown;
  }
  if (!recovered.ok()) {
    JOBQ_LOG(kError, "broker", "recovery_failed").Kv("why", recovered.status().message());
    return 1;
  }
  const size_t recovered_jobs = recovered->jobs.size();
  const size_t recovered_sentinels = recovered->sentinels.size();
  const size_t recovered_schedules = recovered->schedules.size();
  const TimeMs restored_ms = clock.NowMs();
  const size_t recovered_workflows = recovered->workflows.size();
  core.RestoreWorkflows(std::move(recovered->workflows));
  core.Restore(std::move(recovered->jobs), std::move(recovered->sentinels), restored_ms);
  core.RestoreSchedules(std::move(recovered->schedules), restored_ms);
  core.RestoreLimits(std::move(recovered->limits), restored_ms);
  if (recovered_jobs > 0 || recovered_sentinels > 0 || recovered_schedules > 0 ||
      recovered_workflows > 0) {
    JOBQ_LOG(kInfo, "broker", "recovered")
        .Kv("jobs", recovered_jobs)
        .Kv("sentinels", recovered_sentinels)
        .Kv("schedules", recovered_schedules)
        .Kv("workflows", recovered_workflows)
        .Kv("store", store->Describe());
  }

  admin::StatusBoard board;
  net::LoopOptions loop_options;
  loop_options.frontend_endpoint = config_.frontend;
  loop_options.backend_endpoint = config_.backend;
  loop_options.max_message_bytes = static_cast<int64_t>(config_.message_bytes_max);
  loop_options.connections_max = config_.connections_max;
  loop_options.curve = config_.curve;
  // Set once the loop runs: from then on each snapshot also says whether the
  // broker takes work (grpc.health.v1: NOT_SERVING while it drains). The
  // loop runs on this thread, so no lock.
  admin::AdminServer* health = nullptr;
  if (leadership != nullptr) {
    loop_options.stamp_status = [this, leadership](::jobq::admin::GetStatusResponse* status) {
      ::jobq::admin::Leadership* out = status->mutable_leadership();
      out->set_role("leader");
      out->set_name(config_.name);
      out->set_epoch(static_cast<uint64_t>(leadership->epoch));
      out->set_leader(config_.name);
      out->set_leader_frontend(leadership->endpoints.frontend);
      out->set_leader_backend(leadership->endpoints.backend);
      out->set_leader_admin(leadership->endpoints.admin);
    };
  }
  net::BrokerLoop loop(loop_options, &core, store, &clock, [&board, &health](auto snapshot) {
    if (health != nullptr) {
      // Acknowledgements wait while the store is away: not serving either.
      health->SetServing(!snapshot->shutting_down() && snapshot->store_health().reachable());
    }
    board.Publish(std::move(snapshot));
  });
  if (absl::Status bound = loop.Bind(); !bound.ok()) {
    JOBQ_LOG(kError, "broker", "cannot_listen").Kv("why", bound.message());
    return 1;
  }
  control::LoopControl control(&loop);
  admin::AdminAuth admin_auth(config_.admin_tokens);
  admin::AdminServer admin_server(&board, &control, kVersion, &admin_auth);
  if (!StartAdmin(admin_server)) {
    return 1;
  }

  // What the loop does not know, filled into a copy of its snapshot for
  // /metrics and the dashboard: the version and the refusal counters.
  http::RefusalCounters http_refusals;
  auto stamp = [&admin_auth, &http_refusals](::jobq::admin::GetStatusResponse* status) {
    status->set_version(kVersion);
    admin_auth.FillRefusals(status->mutable_admin_auth_refused());
    http_refusals.Fill(status->mutable_http_refused());
  };
  const size_t http_streams_max = 256;
  // Renders each snapshot once for /api/status and every event stream.
  http::StatusFeed status_feed([&board] { return board.Latest(); }, stamp,
                               [&clock] { return clock.NowMs(); }, http_streams_max);
  // /metrics renders the snapshots the loop publishes, never the loop's state.
  auto stamped_status =
      [&board, &stamp, &status_feed]() -> std::shared_ptr<const ::jobq::admin::GetStatusResponse> {
    std::shared_ptr<const ::jobq::admin::GetStatusResponse> latest = board.Latest();
    if (latest == nullptr) {
      return nullptr;
    }
    auto stamped = std::make_shared<::jobq::admin::GetStatusResponse>(*latest);
    stamp(stamped.get());
    stamped->set_http_event_streams(static_cast<uint32_t>(status_feed.streams()));
    return stamped;
  };
  metrics::MetricsServer metrics_server(stamped_status);
  if (!config_.metrics.empty()) {
    if (absl::Status started = metrics_server.Start(config_.metrics); !started.ok()) {
      JOBQ_LOG(kError, "broker", "cannot_listen").Kv("why", started.message());
      return 1;
    }
  }

  // The dashboard: sessions and CSRF over the admin tokens; lists and
  // actions through the same LoopControl as the gRPC service.
  http::SessionStore sessions;
  http::Access access(&admin_auth, &sessions);
  http::DashboardParts parts;
  parts.control = &control;
  parts.feed = &status_feed;
  parts.access = &access;
  parts.refusals = &http_refusals;
  parts.stamped_status = stamped_status;
  parts.now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  http::DashboardApi dashboard(std::move(parts));
  http::HttpServer http_server(&dashboard, &status_feed);
  if (!config_.http.empty()) {
    http::HttpServerOptions options;
    options.address = config_.http;
    options.tls_cert = config_.admin_tls_cert;
    options.tls_key = config_.admin_tls_key;
    options.event_streams_max = http_streams_max;
    if (absl::Status started = http_server.Start(options); !started.ok()) {
      JOBQ_LOG(kError, "broker", "cannot_listen").Kv("why", started.message());
      return 1;
    }
  }

  loop.PublishSnapshot(clock.NowMs());
  health = &admin_server;
  if (absl::Status lost = step_down.Attach(&loop); !lost.ok()) {
    JOBQ_LOG(kWarning, "broker", "stepped_down").Kv("why", lost.message());
    return kSteppedDown;
  }
  stop_signal::SetLoop(&loop);

  JOBQ_LOG(kInfo, "broker", "listening")
      .Kv("frontend", loop.frontend_endpoint())
      .Kv("backend", loop.backend_endpoint())
      .Kv("admin", admin_server.address())
      .Kv("metrics", config_.metrics.empty() ? "off" : metrics_server.address())
      .Kv("admin_tls", config_.admin_tls_cert.empty() ? "off" : "on")
      .Kv("admin_tokens", config_.admin_tokens.size())
      .Kv("health", config_.health.empty() ? "off" : admin_server.health_address())
      .Kv("http", config_.http.empty()
                      ? "off"
                      : absl::StrCat(config_.admin_tls_cert.empty() ? "http://" : "https://",
                                     http_server.address(), "/"))
      .Kv("store", store->Describe())
      .Kv("epoch", leadership != nullptr ? leadership->epoch : 0);
  if (config_.insecure) {
    // Logged at every start, so that a forgotten --insecure keeps showing.
    const std::vector<std::string> exposed = UnprotectedEndpoints(config_);
    const std::string unauthenticated =
        exposed.empty() ? "none (loopback only)" : absl::StrJoin(exposed, ",");
    JOBQ_LOG(kWarning, "broker", "insecure")
        .Kv("unauthenticated", unauthenticated)
        .Kv("why",
            "--insecure: anyone who can reach these endpoints can submit or take jobs; "
            "use --curve-secret-key with --producer-keys and --worker-keys instead");
  }
  if (std::string warning = AdminInsecureWarning(config_); !warning.empty()) {
    // Like the warning above: at every start, while --insecure is given.
    JOBQ_LOG(kWarning, "broker", "admin_insecure").Kv("why", warning);
  }
  if (std::string warning = HttpInsecureWarning(config_); !warning.empty()) {
    JOBQ_LOG(kWarning, "broker", "http_insecure").Kv("why", warning);
  }
  if (config_.curve) {
    JOBQ_LOG(kInfo, "broker", "curve_on")
        .Kv("public_key", curve::ToZ85(config_.curve->server.public_key))
        .Kv("producer_keys", config_.curve->producers.size())
        .Kv("worker_keys", config_.curve->workers.size());
  }
  if (!store->durable()) {
    JOBQ_LOG(kWarning, "broker", "store_not_durable")
        .Kv("why", "--store memory loses every job when the broker stops");
  }

  // The ready file comes after every start-up line, so that whoever waits for it
  // can read the warnings above in the log already.
  if (!config_.ready_file.empty() &&
      !WriteReadyFile(config_.ready_file, loop, admin_server.address(), metrics_server.address(),
                      admin_server.health_address(), http_server.address(),
                      leadership != nullptr ? "leader" : "")) {
    JOBQ_LOG(kError, "broker", "cannot_write_ready_file").Kv("path", config_.ready_file);
    return 1;
  }

  absl::Status ran = loop.Run();
  stop_signal::SetLoop(nullptr);
  step_down.Detach();
  admin_server.SetServing(false);
  http_server.Stop();
  metrics_server.Stop();
  admin_server.Stop();
  if (leadership != nullptr && (step_down.lost() || store::IsDeposed(ran))) {
    JOBQ_LOG(kWarning, "broker", "stepped_down").Kv("why", ran.message());
    return kSteppedDown;
  }
  if (!ran.ok()) {
    JOBQ_LOG(kError, "broker", "stopped").Kv("why", ran.message());
    return 1;
  }
  if (leadership != nullptr) {
    // A standby need not wait for the lease to lapse: everything this
    // broker acknowledged is committed.
    keeper.reset();
    if (absl::Status released = leadership->release(); !released.ok()) {
      JOBQ_LOG(kWarning, "broker", "cannot_release_lease").Kv("why", released.message());
    }
  }
  JOBQ_LOG(kInfo, "broker", "stopped");
  return 0;
}

}  // namespace jobq::broker
