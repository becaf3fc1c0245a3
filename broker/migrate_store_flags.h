#pragma once
// The broker's --migrate-store FROM TO (docs/operations.md, "Migrating from
// SQLite to PostgreSQL"): copy one store into another and exit instead of
// serving. This file only reads the two arguments; broker/migrate does the
// copy.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "broker/broker_config.h"

namespace jobq::broker {

// Adds --migrate-store; CLI11 writes its two arguments into *raw.
void AddMigrateStoreFlag(CLI::App& app, std::vector<std::string>* raw);

// Reads the arguments into config->migrate_from and migrate_to ("sqlite:PATH"
// or postgres://...); what is wrong with them (one line naming the argument
// and what to do), or "". Nothing to do when *raw is empty.
std::string CheckMigrateStoreFlag(const std::vector<std::string>& raw, BrokerConfig* config);

}  // namespace jobq::broker
