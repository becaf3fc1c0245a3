#include "broker/broker_config.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace jobq::broker {

std::optional<BrokerConfig> ParseBrokerFlags(int argc, char** argv, int* exit_code) {
  BrokerConfig config;
  std::string log_level = "info";
  CLI::App app{"jobq-broker: keeps jobs and hands them to workers"};
  app.add_option("--frontend", config.frontend, "ZeroMQ endpoint for producers")
      ->envname("JOBQ_FRONTEND")
      ->capture_default_str();
  app.add_option("--backend", config.backend, "ZeroMQ endpoint for workers")
      ->envname("JOBQ_BACKEND")
      ->capture_default_str();
  app.add_option("--admin", config.admin, "HOST:PORT of the gRPC admin service")
      ->envname("JOBQ_ADMIN_LISTEN")
      ->capture_default_str();
  app.add_option("--store", config.store,
                 "where jobs are kept: memory (fastest, lost when the broker stops) or "
                 "sqlite:PATH (durable: one SQLite file)")
      ->capture_default_str();
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
  app.add_option("--queue-max", config.core.queue_depth_max,
                 "waiting jobs per queue before SUBMIT is answered queue_full")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, warning or error")
      ->envname("JOBQ_LOG_LEVEL")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    *exit_code = app.exit(error) == 0 ? 0 : 2;
    return std::nullopt;
  }
  if (!ParseLogLevel(log_level, &config.log_level)) {
    std::cerr << "jobq-broker: --log-level must be debug, info, warning or error, not \""
              << log_level << "\"\n";
    *exit_code = 2;
    return std::nullopt;
  }
  const bool sqlite = config.store.rfind("sqlite:", 0) == 0;
  if (config.store != "memory" && !(sqlite && config.store.size() > 7)) {
    std::cerr << "jobq-broker: unknown store \"" << config.store
              << "\"; use --store memory or --store sqlite:PATH "
                 "(e.g. sqlite:/var/lib/jobq/jobq.db)\n";
    *exit_code = 2;
    return std::nullopt;
  }
  return config;
}

}  // namespace jobq::broker
