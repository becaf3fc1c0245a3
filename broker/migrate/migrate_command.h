#pragma once
// RunMigrateStore: what main() runs for `jobq-broker --migrate-store FROM
// TO` (migrate_store.h): the copy, then its report as one line on stdout,
// or the error on stderr.

#include <string>

namespace jobq::broker::migrate {

// `from` and `to` as BrokerConfig holds them. Returns the exit code: 0
// copied and checked, 1 refused or failed.
int RunMigrateStore(const std::string& from, const std::string& to);

}  // namespace jobq::broker::migrate
