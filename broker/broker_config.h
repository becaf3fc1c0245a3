#pragma once
// BrokerConfig: everything jobq-broker is told at start, from flags and
// JOBQ_* environment variables (ParseBrokerFlags).

#include <optional>
#include <string>
#include <vector>

#include "broker/admin/admin_tokens.h"
#include "broker/core/core_options.h"
#include "common/curve_keys.h"
#include "common/flags_outcome.h"
#include "common/log.h"

namespace jobq::broker {

struct BrokerConfig {
  std::string frontend = "tcp://127.0.0.1:5555";
  std::string backend = "tcp://127.0.0.1:5556";
  std::string admin = "127.0.0.1:50051";
  // HOST:PORT serving GET /metrics (Prometheus text); empty: not served.
  std::string metrics;
  // "memory", "sqlite:PATH", "postgres://..." (broker/store_flags.h), or
  // "" = sqlite:<data_dir>/jobq.db, the default.
  std::string store;
  std::string data_dir = "jobq-data";
  bool store_in_data_dir = false;  // the default store: create data_dir if missing
  // Brokers sharing a postgres store: this one's name in the leadership
  // lease (default HOSTNAME:PID), and the lease's length.
  std::string name;
  int64_t leader_lease_ms = 2000;
  // --migrate-store FROM TO (broker/migrate_store_flags.h): both set, as
  // "sqlite:PATH" or postgres://..., to copy FROM into TO and exit instead
  // of serving; both empty otherwise.
  std::string migrate_from;
  std::string migrate_to;
  // When set, the endpoints actually bound are written here as JSON once the
  // broker listens (tests bind port 0 and read them back).
  std::string ready_file;
  LogLevel log_level = LogLevel::kInfo;
  // Per message on the frontend and backend (ZMQ_MAXMSGSIZE); see
  // limit_flags.h for the other bounds. The largest message a jobq peer
  // sends with the default limits is a worker's RESULT carrying one
  // --result-max (16 MiB) result; a SUBMIT from the jobq client is at most
  // 4 MiB (or one job). The 1 MiB above 16 is room for the rest of that
  // RESULT. Each connection can hold this much of an unfinished message.
  uint64_t message_bytes_max = 17 << 20;
  // Connections per socket (frontend, backend); one more is closed at
  // once. What unfinished messages hold is at most 2 × this ×
  // message_bytes_max. A worker is one backend connection.
  size_t connections_max = 1000;
  // Listen on a non-loopback address without authentication (protected
  // mode, DESIGN.md §9, is off); a warning is logged at every start.
  bool insecure = false;
  // CURVE on the frontend and backend (broker/curve_flags.h): the files
  // named by --curve-secret-key, --producer-keys, --worker-keys, and what
  // ParseBrokerFlags loaded from them (set iff CURVE is on).
  std::string curve_secret_key_file;
  std::string producer_keys_file;
  std::string worker_keys_file;
  std::optional<curve::ServerKeys> curve;
  // The admin service's TLS and tokens (broker/admin_flags.h): the PEM
  // files, the tokens file and the tokens ParseBrokerFlags loaded from it
  // (none: every admin call is allowed, which protected mode keeps to
  // loopback).
  std::string admin_tls_cert;
  std::string admin_tls_key;
  std::string admin_tokens_file;
  std::vector<admin::AdminToken> admin_tokens;
  // HOST:PORT of a plaintext listener serving only grpc.health.v1; empty: none.
  std::string health;
  // HOST:PORT of the dashboard (broker/http: the page, /api, /metrics);
  // HTTPS with the admin TLS files, logins with the admin tokens. Empty:
  // not served.
  std::string http;
  core::CoreOptions core;
};

// Parses argv into *config (complete when the outcome is kRun); prints
// nothing.
FlagsOutcome ParseBrokerFlags(int argc, char** argv, BrokerConfig* config);

}  // namespace jobq::broker
