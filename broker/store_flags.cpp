#include "broker/store_flags.h"

#include <unistd.h>

#include <climits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/parsed_flag.h"

namespace jobq::broker {
namespace {

// Below this a lease renewed every third of it would be renewed every
// 166 ms; above, a dead leader's jobs wait over a minute for a standby.
constexpr int64_t kLeaseMinMs = 500;
constexpr int64_t kLeaseMaxMs = 60'000;

std::string HostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name;
}

}  // namespace

bool IsPostgresStore(const std::string& store) {
  return absl::StartsWith(store, "postgres://") || absl::StartsWith(store, "postgresql://");
}

void AddStoreFlags(CLI::App& app, BrokerConfig* config) {
  app.add_option("--store", config->store,
                 "where jobs are kept: sqlite:PATH (durable: one SQLite file; the default is "
                 "DATA_DIR/jobq.db), postgres://USER@HOST/DB (durable and shared: brokers on one "
                 "database elect a leader; password from PGPASSFILE, never here) or memory "
                 "(fastest, lost when the broker stops)")
      ->envname("JOBQ_STORE");
  app.add_option("--data-dir", config->data_dir,
                 "directory of the default store, created when missing")
      ->envname("JOBQ_DATA_DIR")
      ->capture_default_str();
  app.add_option("--name", config->name,
                 "this broker's name among brokers sharing a postgres store, shown as the "
                 "leader's name by the others (default HOSTNAME:PID)")
      ->envname("JOBQ_BROKER_NAME");
  // The validator writes the milliseconds; the option's own value is unused.
  app.add_option_function<std::string>(
         "--leader-lease", [](const std::string&) {},
         "on a postgres store: how long the leader's lease lasts without renewal; a standby "
         "takes over this long after the leader dies (default 2s)")
      ->check(DurationInto(&config->leader_lease_ms));
}

std::string CheckStoreFlags(BrokerConfig* config) {
  if (config->store.empty()) {
    if (config->data_dir.empty()) {
      return "--data-dir is empty; name a directory, or use --store";
    }
    config->store = "sqlite:" + config->data_dir + "/jobq.db";
    config->store_in_data_dir = true;
  }
  const bool sqlite = absl::StartsWith(config->store, "sqlite:") && config->store.size() > 7;
  if (config->store != "memory" && !sqlite && !IsPostgresStore(config->store)) {
    return absl::StrCat("unknown store \"", config->store,
                        "\"; use --store memory, --store sqlite:PATH (e.g. "
                        "sqlite:/var/lib/jobq/jobq.db) or --store postgres://USER@HOST/DB");
  }
  if (config->leader_lease_ms < kLeaseMinMs || config->leader_lease_ms > kLeaseMaxMs) {
    return absl::StrCat("--leader-lease must be between ", kLeaseMinMs, "ms and ",
                        kLeaseMaxMs / 1000, "s");
  }
  if (config->name.empty()) {
    config->name = absl::StrCat(HostName(), ":", ::getpid());
  }
  return "";
}

}  // namespace jobq::broker
