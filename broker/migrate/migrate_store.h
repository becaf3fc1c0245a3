#pragma once
// MigrateStore: `jobq-broker --migrate-store FROM TO` (docs/operations.md):
// copies everything a durable store holds (jobs in every state, sentinels,
// schedules, limits, workflows) into another, empty one, then checks the
// copy. SQLite to PostgreSQL is the common case; PostgreSQL to SQLite and
// SQLite to SQLite work the same way.
//
// What an operator can count on:
//  * Refused, with nothing written to TO, when a broker serves on either
//    store (held_store.h), when TO already holds anything, or when either
//    cannot be opened (a missing FROM file, a malformed URL, a refused
//    password, a schema from a newer jobq).
//  * FROM is only read. No broker can start serving on either store while
//    the copy runs (brokers on PostgreSQL wait as standbys meanwhile).
//  * TO is written in transactions of at most `batch_records` records of
//    each kind, so its transactions stay bounded; FROM is read whole, as a
//    broker reads it at start, and needs as much memory as that broker.
//  * Success means TO, read back, holds exactly FROM's records: the same
//    keys, each record stored byte for byte the same (store_tally.h).
//  * A failure after the first batch says that TO holds part of the copy
//    and how to empty it; run the migration again after that.
//
// Not thread-safe; blocks the calling thread for the whole copy.

#include <chrono>
#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "broker/migrate/held_store.h"
#include "broker/migrate/store_tally.h"

namespace jobq::broker::migrate {

struct MigrateOptions {
  HoldOptions hold;
  // Per transaction on TO, of each kind of record.
  size_t batch_records = 10'000;
};

struct MigrateReport {
  std::string from;  // the stores' names, without passwords
  std::string to;
  StoreTally copied;
  std::chrono::milliseconds took{0};
};

// `from` and `to` are "sqlite:PATH" or postgres://... (as --store takes
// them; "memory" is refused). Errors start with FROM or TO when they are
// about one of the stores, name it, and say what to do.
absl::StatusOr<MigrateReport> MigrateStore(const std::string& from, const std::string& to,
                                           const MigrateOptions& options = {});

// One line: what was copied from where to where, and how long it took.
std::string DescribeReport(const MigrateReport& report);

}  // namespace jobq::broker::migrate
