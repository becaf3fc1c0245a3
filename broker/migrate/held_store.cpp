#include "broker/migrate/held_store.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/leader/lease_keeper.h"
#include "broker/store/postgres_lease.h"
#include "broker/store/postgres_store.h"
#include "broker/store/sqlite_store.h"

namespace jobq::broker::migrate {
namespace {

using Steady = std::chrono::steady_clock;

// As broker/store_flags.h's IsPostgresStore, which is the server's, not
// this library's.
bool IsPostgres(const std::string& spec) {
  return absl::StartsWith(spec, "postgres://") || absl::StartsWith(spec, "postgresql://");
}

absl::Status Prefixed(const std::string& side, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(side, ": ", status.message()));
}

}  // namespace

HeldStore::HeldStore(std::string side, std::unique_ptr<store::Store> store)
    : side_(std::move(side)), store_(std::move(store)) {}

HeldStore::~HeldStore() {
  if (lease_ == nullptr) {
    return;
  }
  keeper_.reset();
  // Brokers waiting as standbys take over at their next try instead of
  // after the lease time. A failure only makes them wait that long.
  (void)lease_->Release(epoch_);
}

absl::StatusOr<std::unique_ptr<HeldStore>> HeldStore::Open(const std::string& side,
                                                           const std::string& spec,
                                                           const HoldOptions& options) {
  if (IsPostgres(spec)) {
    absl::StatusOr<std::unique_ptr<store::PostgresStore>> opened = store::PostgresStore::Open(spec);
    if (!opened.ok()) {
      return Prefixed(side, opened.status());
    }
    std::unique_ptr<HeldStore> held(new HeldStore(side, *std::move(opened)));
    if (absl::Status status = held->HoldLease(spec, options); !status.ok()) {
      return status;
    }
    return held;
  }
  if (!absl::StartsWith(spec, "sqlite:")) {
    return absl::InvalidArgumentError(
        absl::StrCat(side, ": \"", spec, "\" is neither sqlite:PATH nor postgres://"));
  }
  const std::string path = spec.substr(7);
  std::error_code error;
  if (side == "FROM" && !std::filesystem::exists(path, error)) {
    return absl::NotFoundError(
        absl::StrCat(side, ": sqlite:", path,
                     ": no such file; name the file the broker kept its jobs in (its --store, or "
                     "DATA_DIR/jobq.db: /var/lib/jobq/jobq.db for the package's broker)"));
  }
  // SQLite takes an empty file for a new database, and opening it would
  // make an empty jobq store of what is more likely a wrong name.
  if (side == "FROM" && std::filesystem::file_size(path, error) == 0 && !error) {
    return absl::FailedPreconditionError(absl::StrCat(
        side, ": sqlite:", path,
        ": an empty file, not a jobq store; name the file the broker kept its jobs in"));
  }
  absl::StatusOr<std::unique_ptr<store::SqliteStore>> opened = store::SqliteStore::Open(path);
  if (!opened.ok()) {
    return Prefixed(side, opened.status());
  }
  return std::unique_ptr<HeldStore>(new HeldStore(side, *std::move(opened)));
}

absl::Status HeldStore::HoldLease(const std::string& spec, const HoldOptions& options) {
  absl::StatusOr<std::unique_ptr<store::PostgresLease>> lease =
      store::PostgresLease::Open(spec, options.holder, "");
  if (!lease.ok()) {
    return Prefixed(side_, lease.status());
  }
  const Steady::time_point sent = Steady::now();
  absl::StatusOr<std::optional<int64_t>> epoch = (*lease)->TryAcquire(options.lease_ttl);
  if (!epoch.ok()) {
    return Prefixed(side_, epoch.status());
  }
  if (!epoch->has_value()) {
    absl::StatusOr<store::LeaderInfo> leader = (*lease)->Read();
    const std::string holder = leader.ok() ? leader->holder : "another broker";
    if (holder == options.holder) {
      return absl::InvalidArgumentError(
          absl::StrCat(side_, ": ", name(),
                       ": this migration holds that database already: FROM and TO are the same "
                       "database; name the store to copy and a new, empty one"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        side_, ": ", name(), ": \"", holder,
        "\" leads on this store (it holds the leadership lease); stop every broker using it "
        "(jobq shutdown, or systemctl stop jobq-broker on each) and run this again"));
  }
  lease_ = *std::move(lease);
  epoch_ = **epoch;
  static_cast<store::PostgresStore&>(*store_).SetFencingEpoch(epoch_);
  store::PostgresLease* kept = lease_.get();
  const int64_t epoch_kept = epoch_;
  const std::chrono::milliseconds ttl = options.lease_ttl;
  keeper_ = std::make_unique<leader::LeaseKeeper>(
      [kept, epoch_kept, ttl] { return kept->Renew(epoch_kept, ttl); }, ttl, sent,
      [this](absl::Status why) {
        {
          std::lock_guard lock(mutex_);
          lost_ = std::move(why);
        }
        // A commit waiting for an unreachable database would otherwise
        // wait on after a broker may have taken over.
        store_->Cancel();
      });
  return absl::OkStatus();
}

absl::Status HeldStore::held() const {
  std::lock_guard lock(mutex_);
  if (lost_.ok()) {
    return absl::OkStatus();
  }
  return absl::AbortedError(absl::StrCat(side_, ": ", name(),
                                         ": this migration no longer holds the store, so a "
                                         "broker may have started on it: ",
                                         lost_.message()));
}

}  // namespace jobq::broker::migrate
