#pragma once
// The broker's security flags after parsing: CURVE (--curve-secret-key,
// --producer-keys, --worker-keys) and protected mode (--insecure), DESIGN.md
// §9. Thread-compatible; CheckCurveFlags reads the key files.

#include <string>
#include <vector>

#include "broker/broker_config.h"

namespace jobq::broker {

// Checks that the CURVE flags go together and loads the files into
// config->curve. Returns "" when fine, else what is wrong and what to do
// (the broker then exits 2).
std::string CheckCurveFlags(BrokerConfig* config);

// The ZeroMQ endpoints (--frontend, --backend) that listen beyond this
// machine while nothing authenticates their clients (no CURVE). Pure.
std::vector<std::string> UnprotectedEndpoints(const BrokerConfig& config);

// Protected mode: "" when the broker may start, else the message saying
// what is exposed and the two ways out (CURVE, or --insecure). Pure.
std::string CheckProtectedMode(const BrokerConfig& config);

}  // namespace jobq::broker
