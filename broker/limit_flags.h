#pragma once
// The broker's flags for its bounds (DESIGN §9: limits on message, payload
// and batch size, queues and peers), kept apart from the other flags so the
// list of what a peer can make the broker hold is in one place.

#include <CLI/CLI.hpp>
#include <string>

#include "broker/broker_config.h"

namespace jobq::broker {

// Adds --message-max, --connections-max, --payload-max, --result-max,
// --batch-max, --jobs-max, --queues-max and --workers-max, writing into
// `config`.
void AddLimitFlags(CLI::App& app, BrokerConfig* config);

// What is wrong with the limits as a whole (one line naming the flags), or
// "" when they fit together.
std::string CheckLimits(const BrokerConfig& config);

}  // namespace jobq::broker
