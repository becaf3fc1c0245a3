#include "broker/migrate_store_flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/store_flags.h"

namespace jobq::broker {
namespace {

constexpr char kForms[] =
    "an SQLite file (PATH or sqlite:PATH) or a PostgreSQL database (postgres://USER@HOST/DB)";

// The store `arg` names, as --store spells it; an error naming `which`
// (FROM or TO) otherwise. A bare path is an SQLite file: that is how an
// operator names the file they migrate from.
std::string Resolve(const std::string& which, const std::string& arg, std::string* store) {
  if (arg == "memory") {
    return absl::StrCat("--migrate-store: ", which,
                        " is memory, which keeps nothing once its broker stops: there is nothing "
                        "to copy from it, nor would a copy into it last; name ",
                        kForms);
  }
  if (IsPostgresStore(arg)) {
    *store = arg;
    return "";
  }
  if (absl::StartsWith(arg, "sqlite:")) {
    if (arg.size() == 7) {
      return absl::StrCat("--migrate-store: ", which, " is sqlite: without a path; name ", kForms);
    }
    *store = arg;
    return "";
  }
  // mysql://..., postgress://...: a URL of something else, never a file name.
  if (absl::StrContains(arg, "://")) {
    return absl::StrCat("--migrate-store: ", which, " \"", arg, "\" is no store jobq knows; name ",
                        kForms);
  }
  *store = "sqlite:" + arg;
  return "";
}

}  // namespace

void AddMigrateStoreFlag(CLI::App& app, std::vector<std::string>* raw) {
  app.add_option("--migrate-store", *raw,
                 "FROM TO: copy every job (in any state), sentinel, schedule, limit and "
                 "workflow of the store FROM into the empty store TO, check the copy and exit "
                 "instead of serving. Each an SQLite file (PATH or sqlite:PATH) or "
                 "postgres://USER@HOST/DB; refused while a broker uses either. Exit 0 copied, 1 "
                 "refused or failed, 2 usage error")
      ->expected(2)
      ->type_name("STORE");
}

std::string CheckMigrateStoreFlag(const std::vector<std::string>& raw, BrokerConfig* config) {
  if (raw.empty()) {
    return "";
  }
  // CLI11 takes exactly two values (expected(2)); anything else is a bug.
  if (raw.size() != 2) {
    return "--migrate-store takes two stores: FROM TO";
  }
  if (std::string error = Resolve("FROM", raw[0], &config->migrate_from); !error.empty()) {
    return error;
  }
  if (std::string error = Resolve("TO", raw[1], &config->migrate_to); !error.empty()) {
    return error;
  }
  if (config->migrate_from == config->migrate_to) {
    return absl::StrCat("--migrate-store: FROM and TO are the same store (", raw[0],
                        "); name the store to copy and a new, empty one");
  }
  return "";
}

}  // namespace jobq::broker
