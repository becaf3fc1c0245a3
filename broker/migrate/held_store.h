#pragma once
// HeldStore: one side of `jobq-broker --migrate-store FROM TO`, opened so
// that no broker serves on it while the copy runs, and none was serving
// when it was opened: a broker that kept working on the source would take
// jobs the copy never sees, and one on the destination would hand out a
// half-copied store.
//
// SQLite: SqliteStore's own lock on the file (flock) keeps brokers out, and
// refuses the file while one has it. PostgreSQL: the leadership lease
// (postgres_lease.h) is taken as a broker would take it, refused while a
// live one is held, and kept renewed on a thread of its own (LeaseKeeper)
// until the HeldStore is destroyed, which releases it at once. Brokers on
// the database meanwhile wait as standbys of this holder.
//
// Not thread-safe, except held(): one thread opens and uses a HeldStore.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/store/store.h"

namespace jobq::broker::leader {
class LeaseKeeper;
}  // namespace jobq::broker::leader

namespace jobq::broker::store {
class PostgresLease;
}  // namespace jobq::broker::store

namespace jobq::broker::migrate {

struct HoldOptions {
  // Shown to brokers (and `jobq status`) as the lease's holder.
  std::string holder = "jobq-broker --migrate-store";
  // How long the lease lasts without renewal: how long brokers wait when
  // this process dies without releasing it.
  std::chrono::milliseconds lease_ttl{10'000};
};

class HeldStore {
 public:
  // `side` ("FROM" or "TO") starts every error, which names the store and
  // what to do. `spec` is "sqlite:PATH" or postgres://...; a FROM file must
  // exist (opening would create it), a TO file is created when missing.
  static absl::StatusOr<std::unique_ptr<HeldStore>> Open(const std::string& side,
                                                         const std::string& spec,
                                                         const HoldOptions& options);
  ~HeldStore();  // stops renewing, then releases the lease

  HeldStore(const HeldStore&) = delete;
  HeldStore& operator=(const HeldStore&) = delete;

  // Lives as long as this object. On PostgreSQL its commits are fenced by
  // the lease: refused once another broker took the lease over.
  store::Store& store() { return *store_; }
  // "sqlite:PATH" or "postgres://user@host:port/dbname" (no password).
  std::string name() const { return store_->Describe(); }
  bool is_sqlite() const { return lease_ == nullptr; }

  // Any thread. OK while the store is still held; once the lease could not
  // be renewed in time, or another broker took it over, why.
  absl::Status held() const;

 private:
  HeldStore(std::string side, std::unique_ptr<store::Store> store);
  absl::Status HoldLease(const std::string& spec, const HoldOptions& options);

  const std::string side_;
  std::unique_ptr<store::Store> store_;
  // PostgreSQL only. The keeper's thread alone uses the lease until the
  // keeper is stopped.
  std::unique_ptr<store::PostgresLease> lease_;
  int64_t epoch_ = 0;
  std::unique_ptr<leader::LeaseKeeper> keeper_;

  mutable std::mutex mutex_;
  absl::Status lost_;  // guarded by mutex_
};

}  // namespace jobq::broker::migrate
