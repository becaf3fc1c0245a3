#include "broker/broker_config.h"

#include <CLI/CLI.hpp>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "broker/admin_flags.h"
#include "broker/curve_flags.h"
#include "broker/limit_flags.h"
#include "broker/migrate_store_flags.h"
#include "broker/parsed_flag.h"
#include "broker/store_flags.h"
#include "common/duration.h"
#include "common/flag_values.h"

namespace jobq::broker {
namespace {

constexpr char kProgram[] = "jobq-broker";

FlagsOutcome UsageError(const std::string& problem) { return FlagsUsageError(kProgram, problem); }

// "NAME:retries=N,backoff=DURATION" -> queue_defaults[NAME].
std::string ParseQueueDefaults(const std::string& text, core::CoreOptions* core) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return "--queue takes NAME:retries=N,backoff=DURATION (e.g. emails:retries=5,backoff=2s), "
           "not \"" +
           text + "\"";
  }
  core::QueueDefaults defaults;
  const std::vector<std::string> settings =
      absl::StrSplit(text.substr(colon + 1), ',', absl::SkipEmpty());
  for (const std::string& setting : settings) {
    const size_t equals = setting.find('=');
    const std::string key = setting.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : setting.substr(equals + 1);
    uint32_t retries = 0;
    if (key == "retries" && absl::SimpleAtoi(value, &retries) && retries < 1'000'000) {
      defaults.max_attempts = retries + 1;
    } else if (key == "backoff" && ParseDurationMs(value).ok() && *ParseDurationMs(value) > 0) {
      defaults.backoff_ms = *ParseDurationMs(value);
    } else {
      return "--queue " + text + ": \"" + setting +
             "\" is not retries=N (0 or more) or backoff=DURATION (e.g. 2s)";
    }
  }
  core->queue_defaults[text.substr(0, colon)] = defaults;
  return "";
}

}  // namespace

FlagsOutcome ParseBrokerFlags(int argc, char** argv, BrokerConfig* parsed) {
  BrokerConfig config;
  std::string log_level = "info";
  CLI::App app{"jobq-broker: keeps jobs and hands them to workers", kProgram};
  // help2man reads "NAME VERSION" for the man page (cmake/ManPages.cmake).
  app.set_version_flag("--version", std::string("jobq-broker ") + JOBQ_VERSION);
  app.add_option("--frontend", config.frontend, "ZeroMQ endpoint for producers")
      ->envname("JOBQ_FRONTEND")
      ->capture_default_str();
  app.add_option("--backend", config.backend, "ZeroMQ endpoint for workers")
      ->envname("JOBQ_BACKEND")
      ->capture_default_str();
  app.add_option("--admin", config.admin, "HOST:PORT of the gRPC admin service")
      ->envname("JOBQ_ADMIN_LISTEN")
      ->capture_default_str();
  app.add_option("--metrics", config.metrics,
                 "HOST:PORT (an IP address) serving GET /metrics in the Prometheus text format; "
                 "off unless given")
      ->envname("JOBQ_METRICS_LISTEN");
  app.add_option("--http", config.http,
                 "HOST:PORT (an IP address) serving the web dashboard: the page at /, its JSON "
                 "API under /api/ and GET /metrics; HTTPS with --admin-tls-cert, logins with "
                 "--admin-tokens; off unless given")
      ->envname("JOBQ_HTTP");
  AddStoreFlags(app, &config);
  std::vector<std::string> migrate_store;
  AddMigrateStoreFlag(app, &migrate_store);
  uint32_t retries = 0;
  app.add_option("--retries", retries,
                 "times a failed job is retried unless it or its queue says otherwise")
      ->check(CLI::Range(0u, 999'999u))
      ->capture_default_str();
  std::string unused;
  app.add_option("--backoff", unused,
                 "first retry delay (then doubled each time, with jitter) unless the job or "
                 "its queue says otherwise (default 1s)")
      ->check(DurationInto(&config.core.backoff_ms));
  app.add_option("--backoff-max", unused, "no retry waits longer than this (default 1h)")
      ->check(DurationInto(&config.core.backoff_max_ms));
  std::vector<std::string> queue_settings;
  app.add_option("--queue", queue_settings,
                 "defaults of one queue, repeatable: NAME:retries=N,backoff=DURATION");
  app.add_option("--result-ttl", unused,
                 "how long finished jobs and their results are kept (default 24h)")
      ->check(DurationInto(&config.core.result_ttl_ms));
  app.add_option("--dead-ttl", unused, "how long dead jobs wait for `jobq retry` (default 7d)")
      ->check(DurationInto(&config.core.dead_ttl_ms));
  app.add_option("--lease-grace", unused,
                 "added to a running job's timeout (or the liveness window) before its lease "
                 "expires and it is requeued (default 5s)")
      ->check(DurationInto(&config.core.lease_grace_ms));
  app.add_option("--ready-file", config.ready_file,
                 "write the bound endpoints as JSON to this file once listening");
  app.add_option("--heartbeat-ms", config.core.heartbeat_interval_ms,
                 "heartbeat interval with workers")
      ->check(CLI::Range(10u, 60'000u))
      ->capture_default_str();
  app.add_option("--liveness-misses", config.core.liveness_misses,
                 "heartbeats a worker may miss before it is declared dead")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  app.add_option("--poison-after", config.core.poison_after,
                 "a job running on this many workers whose process ended (crashed, killed, or "
                 "silent past the liveness window) is dead with error type poison")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  app.add_option("--queue-max", config.core.queue_depth_max,
                 "waiting jobs per queue before SUBMIT is answered queue_full")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  AddLimitFlags(app, &config);
  app.add_option("--curve-secret-key", config.curve_secret_key_file,
                 "the broker's CURVE key pair file (`jobq keygen broker` writes broker.key): "
                 "turns on CURVE encryption and authentication on --frontend and --backend")
      ->envname("JOBQ_CURVE_SECRET_KEY");
  app.add_option("--producer-keys", config.producer_keys_file,
                 "allow-list of producer public keys, one per line (bare Z85 or public-key = "
                 "\"...\"; `cat p1.pub p2.pub > FILE`); needs --curve-secret-key")
      ->envname("JOBQ_PRODUCER_KEYS");
  app.add_option("--worker-keys", config.worker_keys_file,
                 "allow-list of worker public keys, as --producer-keys; needs --curve-secret-key")
      ->envname("JOBQ_WORKER_KEYS");
  AddAdminSecurityFlags(app, &config);
  app.add_flag("--insecure", config.insecure,
               "allow listening on a non-loopback address without authentication (protected "
               "mode off); a warning is logged at every start");
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->envname("JOBQ_LOG_LEVEL")
      ->capture_default_str();
  RequireFlagValues(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return FlagsParseError(app, kProgram, error);
  }
  if (!ParseLogLevel(log_level, &config.log_level)) {
    return UsageError("--log-level must be debug, info, warning or error, not \"" + log_level +
                      "\"");
  }
  config.core.max_attempts = retries + 1;
  for (const std::string& setting : queue_settings) {
    if (std::string error = ParseQueueDefaults(setting, &config.core); !error.empty()) {
      return UsageError(error);
    }
  }
  if (config.core.backoff_ms <= 0 || config.core.backoff_max_ms < config.core.backoff_ms) {
    return UsageError("--backoff must be positive and at most --backoff-max");
  }
  if (std::string error = CheckLimits(config); !error.empty()) {
    return UsageError(error);
  }
  // Protected mode after CURVE: only loaded keys make a listener safe.
  std::string security_error = CheckCurveFlags(&config);
  if (security_error.empty()) {
    security_error = CheckProtectedMode(config);
  }
  if (security_error.empty()) {
    security_error = CheckAdminSecurityFlags(&config);
  }
  if (security_error.empty()) {
    security_error = CheckAdminProtectedMode(config);
  }
  if (security_error.empty()) {
    security_error = CheckHttpProtectedMode(config);
  }
  if (!security_error.empty()) {
    return UsageError(security_error);
  }
  if (std::string error = CheckStoreFlags(&config); !error.empty()) {
    return UsageError(error);
  }
  if (std::string error = CheckMigrateStoreFlag(migrate_store, &config); !error.empty()) {
    return UsageError(error);
  }
  *parsed = std::move(config);
  return {};
}

}  // namespace jobq::broker
