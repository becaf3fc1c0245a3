#pragma once
// The broker's flags for where it keeps jobs and, on a shared PostgreSQL
// store, how it shares it with other brokers (docs/postgres.md): --store,
// --name and --leader-lease.

#include <CLI/CLI.hpp>
#include <string>

#include "broker/broker_config.h"

namespace jobq::broker {

// postgres://... or postgresql://... (libpq's URI forms).
bool IsPostgresStore(const std::string& store);

void AddStoreFlags(CLI::App& app, BrokerConfig* config);

// Resolves the default store (sqlite in --data-dir) and the default name;
// what is wrong with the store flags (one line naming the flag), or "".
std::string CheckStoreFlags(BrokerConfig* config);

}  // namespace jobq::broker
