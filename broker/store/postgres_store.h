#pragma once
// PostgresStore: the durable Store on a PostgreSQL server (`--store
// postgres://user@host:port/dbname`), which several brokers may share: one
// of them, the holder of the leadership lease (postgres_lease.h), writes.
// docs/postgres.md is the operator's side of this.
//
// Records: the same as SqliteStore's (a serialized jobq.store.JobRecord per
// job, and the side tables of sentinels, schedules, limits and workflows),
// in tables named jobq_* (postgres_schema.h), applied in the same order
// within a batch and checked the same way by Recover.
//
// Commit: one transaction per batch, sent in libpq's pipeline mode with
// every table's rows as binary arrays, so that a batch of any size costs
// one round trip. Durable when it returns (synchronous_commit=on).
//
// Fencing: with SetFencingEpoch(E), each transaction first checks, with the
// lease row held FOR KEY SHARE, that the lease's epoch is still E; if another
// broker took the lease over it writes nothing and Commit returns
// DeposedError (deposed.h).
//
// An unreachable server: Commit reconnects with backoff (100 ms, doubling,
// at most 2 s) and sends the whole batch again until it commits, is fenced,
// or Cancel() is called; meanwhile Health() says so. Other errors (a
// constraint, a permission) return at once, with nothing written.
//
// Thread safety: like every Store, one thread at a time calls Commit and
// Recover. Health, Cancel and SetFencingEpoch may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/store/store.h"
#include "common/wake_fd.h"

namespace jobq::broker::store {

class PgConnection;
struct PgCall;

class PostgresStore final : public Store {
 public:
  // The schema version this build writes, and the newest it can use
  // (postgres_schema.h).
  static constexpr int kSchemaVersion = 2;

  // Connects with `conninfo` (a libpq URI or key=value string; the password
  // comes from PGPASSFILE or passfile=, which libpq reads) and brings the
  // schema up to date (postgres_schema.h). Errors name the store without
  // its password and say what to do: unparsable string, unreachable
  // server, refused user or password, missing database, missing rights, a
  // schema newer than this build.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const std::string& conninfo);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  // "postgres://user@host:port/dbname", never the password.
  std::string Describe() const override { return name_; }
  bool durable() const override { return true; }
  absl::Status Commit(const CommitBatch& batch) override;
  absl::StatusOr<Recovered> Recover() override;
  StoreHealth Health() const override;
  void Cancel() override;

  // 0 (the default): no fencing, for a broker that runs alone. Otherwise
  // the lease epoch this broker holds; from the next Commit on, a commit
  // is refused with DeposedError once the lease has another epoch.
  void SetFencingEpoch(int64_t epoch) { fencing_epoch_.store(epoch); }

 private:
  PostgresStore(std::string conninfo, std::unique_ptr<PgConnection> connection);

  // A new connection with the commit statements prepared.
  absl::Status Reconnect();
  // The statements of `batch` (postgres_commit.cpp).
  absl::StatusOr<std::vector<PgCall>> Encode(const CommitBatch& batch, int64_t epoch) const;
  // One attempt at a batch (RunPgPipeline), connecting first if needed.
  absl::Status Attempt(const std::vector<PgCall>& calls);
  absl::Status StoppingError(const absl::Status& last) const;
  // Waits `delay` unless Cancel is called first (then false).
  bool SleepUnlessCancelled(std::chrono::milliseconds delay);

  void MarkReachable();
  void MarkUnreachable(const absl::Status& status, bool count_retry);

  // Recover's parts (postgres_recover.cpp).
  absl::StatusOr<std::vector<core::Job>> RecoverJobs();
  absl::StatusOr<std::vector<core::SentinelMark>> RecoverSentinels();
  absl::StatusOr<std::vector<ScheduleRecord>> RecoverSchedules();
  absl::StatusOr<std::vector<core::LimitRecord>> RecoverLimits();
  absl::StatusOr<std::vector<WorkflowRecord>> RecoverWorkflows();

  const std::string conninfo_;  // kept to reconnect; never shown
  const std::string name_;
  std::unique_ptr<PgConnection> connection_;  // null after an error, until the next attempt
  std::atomic<int64_t> fencing_epoch_{0};
  std::atomic<bool> cancelled_{false};
  WakeFd cancel_wake_;

  mutable std::mutex health_mutex_;
  StoreHealth health_;  // guarded by health_mutex_
};

}  // namespace jobq::broker::store
