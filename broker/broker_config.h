#pragma once
// BrokerConfig: everything jobq-broker is told at start, from flags and
// JOBQ_* environment variables (ParseBrokerFlags).

#include <optional>
#include <string>

#include "broker/core/core_options.h"
#include "common/log.h"

namespace jobq::broker {

struct BrokerConfig {
  std::string frontend = "tcp://127.0.0.1:5555";
  std::string backend = "tcp://127.0.0.1:5556";
  std::string admin = "127.0.0.1:50051";
  // HOST:PORT serving GET /metrics (Prometheus text); empty: not served.
  std::string metrics;
  // "memory", "sqlite:PATH", or "" = sqlite:<data_dir>/jobq.db, the default.
  std::string store;
  std::string data_dir = "jobq-data";
  bool store_in_data_dir = false;  // the default store: create data_dir if missing
  // When set, the endpoints actually bound are written here as JSON once the
  // broker listens (tests bind port 0 and read them back).
  std::string ready_file;
  LogLevel log_level = LogLevel::kInfo;
  core::CoreOptions core;
};

// Parses argv. On --help, sets *exit_code to 0 and returns nullopt after
// printing usage; on a bad flag, prints what is wrong and sets 2.
std::optional<BrokerConfig> ParseBrokerFlags(int argc, char** argv, int* exit_code);

}  // namespace jobq::broker
