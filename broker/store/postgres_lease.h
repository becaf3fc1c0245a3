#pragma once
// PostgresLease: the leadership lease of the brokers that share one
// PostgreSQL store: one row (jobq_leader) holding an epoch, who holds it
// (holder, and the endpoint clients should use) and until when. A broker
// serves while it holds a live lease; a standby takes an expired one over,
// with the epoch + 1, and from then on the old leader's commits are refused
// (PostgresStore::SetFencingEpoch, deposed.h). Every time is the database's
// clock (now()), never a broker's, so brokers whose clocks disagree still
// agree on who leads.
//
// On a connection of its own, so that the lease is renewed while a Commit
// is in flight on the store's. Each statement runs with a short
// statement_timeout and lock_timeout, so that a stuck lock never blocks the
// caller for long; a lost connection fails that call with UNAVAILABLE and
// the next call connects again: the caller retries on its own schedule.
//
// Not thread-safe: one thread (the broker's leadership thread) uses it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jobq::broker::store {

class PgConnection;

struct LeaderInfo {
  int64_t epoch = 0;  // 0: no broker ever led
  std::string holder;
  std::string endpoint;
  bool expired = true;
  int64_t expires_in_ms = 0;  // 0 once expired
};

class PostgresLease {
 public:
  // Connects with `conninfo` (as PostgresStore::Open) and brings the schema
  // up to date, which creates the lease row. `holder` names this broker
  // (host and pid, say); `endpoint` is where its clients reach it.
  static absl::StatusOr<std::unique_ptr<PostgresLease>> Open(const std::string& conninfo,
                                                             std::string holder,
                                                             std::string endpoint);
  ~PostgresLease();
  PostgresLease(const PostgresLease&) = delete;
  PostgresLease& operator=(const PostgresLease&) = delete;

  // Takes the lease if it has expired (or was released): epoch + 1, this
  // holder and endpoint, expiring `ttl` from now. The new epoch, or nullopt
  // when a live lease is held (by another broker, or by this one: use
  // Renew).
  absl::StatusOr<std::optional<int64_t>> TryAcquire(std::chrono::milliseconds ttl);
  // Extends the lease of `epoch` to `ttl` from now. False when the lease
  // has another epoch: this broker was deposed. True also when the lease
  // had expired but no one took it over, which changes nothing for fencing.
  absl::StatusOr<bool> Renew(int64_t epoch, std::chrono::milliseconds ttl);
  // The lease as it is now.
  absl::StatusOr<LeaderInfo> Read();
  // For a clean shutdown: ends the lease of `epoch` now, so that a standby
  // takes over at its next try instead of after the ttl. OK also when the
  // lease is no longer `epoch`'s.
  absl::Status Release(int64_t epoch);

  // "postgres://user@host:port/dbname", never the password.
  const std::string& name() const { return name_; }

 private:
  PostgresLease(std::string conninfo, std::unique_ptr<PgConnection> connection, std::string holder,
                std::string endpoint);

  const std::string conninfo_;
  const std::string name_;
  std::unique_ptr<PgConnection> connection_;  // null after a connection error
  const std::string holder_;
  const std::string endpoint_;
};

}  // namespace jobq::broker::store
