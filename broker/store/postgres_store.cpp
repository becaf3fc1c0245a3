#include "broker/store/postgres_store.h"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/store/deposed.h"
#include "broker/store/postgres_connection.h"
#include "broker/store/postgres_pipeline.h"
#include "broker/store/postgres_schema.h"
#include "broker/store/postgres_statements.h"
#include "common/status_macros.h"

namespace jobq::broker::store {
namespace {

constexpr char kStoreApplicationName[] = "jobq-broker";

// Between attempts at a batch while the server is unreachable.
constexpr std::chrono::milliseconds kBackoffFirst{100};
constexpr std::chrono::milliseconds kBackoffMax{2000};
// A server that has not answered a batch for this long is reported
// unreachable by Health, though the commit keeps waiting for it.
constexpr std::chrono::milliseconds kSlowAnswer{5000};

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Prepares the commit statements in one round trip.
absl::Status PrepareCommitStatements(PgConnection& connection) {
  std::vector<PgCall> calls;
  for (const PgPreparedStatement* statement : kPgCommitStatements) {
    calls.push_back({.kind = PgCall::Kind::kPrepare,
                     .name = statement->name,
                     .sql = statement->sql,
                     .what = absl::StrCat("cannot prepare ", statement->name)});
  }
  return RunPgPipeline(connection, calls, PgPipelineWaits{});
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& conninfo) {
  JOBQ_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> connection,
                        PgConnection::Connect(conninfo, kStoreApplicationName));
  JOBQ_RETURN_IF_ERROR(MigratePostgresSchema(*connection));
  JOBQ_RETURN_IF_ERROR(PrepareCommitStatements(*connection));
  return std::unique_ptr<PostgresStore>(new PostgresStore(conninfo, std::move(connection)));
}

PostgresStore::PostgresStore(std::string conninfo, std::unique_ptr<PgConnection> connection)
    : conninfo_(std::move(conninfo)),
      name_(connection->name()),
      connection_(std::move(connection)),
      cancel_wake_(WakeFd::CreateOrDie()) {}

PostgresStore::~PostgresStore() = default;

absl::Status PostgresStore::Reconnect() {
  connection_.reset();
  JOBQ_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> connection,
                        PgConnection::Connect(conninfo_, kStoreApplicationName));
  JOBQ_RETURN_IF_ERROR(PrepareCommitStatements(*connection));
  connection_ = std::move(connection);
  return absl::OkStatus();
}

absl::Status PostgresStore::Attempt(const std::vector<PgCall>& calls) {
  if (connection_ == nullptr || !connection_->ok()) {
    if (absl::Status status = Reconnect(); !status.ok()) {
      // Whatever stops a connection now (the server down, a password
      // being changed, pg_hba.conf) may be mended while the broker waits.
      return absl::UnavailableError(status.message());
    }
  }
  PgPipelineWaits waits;
  waits.cancel_fd = cancel_wake_.fd();
  waits.cancelled = [this] { return cancelled_.load(); };
  waits.slow = [this](std::chrono::milliseconds waited) {
    if (waited >= kSlowAnswer) {
      MarkUnreachable(absl::UnavailableError(absl::StrCat(name_, ": no answer to a commit for ",
                                                          waited.count() / 1000, " s")),
                      /*count_retry=*/false);
    }
  };
  absl::Status status = RunPgPipeline(*connection_, calls, waits);
  if (!status.ok()) {
    // Mid-pipeline, perhaps mid-transaction: closing it makes the server
    // roll back whatever of the batch it had.
    connection_.reset();
  }
  return status;
}

absl::Status PostgresStore::Commit(const CommitBatch& batch) {
  if (batch.empty()) {
    return absl::OkStatus();
  }
  JOBQ_ASSIGN_OR_RETURN(const std::vector<PgCall> calls, Encode(batch, fencing_epoch_.load()));
  std::chrono::milliseconds backoff = kBackoffFirst;
  for (;;) {
    absl::Status status = Attempt(calls);
    if (status.ok()) {
      MarkReachable();
      return status;
    }
    if (!IsRetryablePgError(status)) {
      MarkReachable();  // it answered, with a refusal
      return status;
    }
    // The batch is sent again whole, on a new connection. If the COMMIT of
    // the failed attempt did arrive, this applies it twice, which is safe:
    // every statement is an upsert or a delete by key (postgres_statements.h),
    // and no other batch of this store ran in between.
    MarkUnreachable(status, /*count_retry=*/true);
    if (cancelled_.load() || !SleepUnlessCancelled(backoff)) {
      return StoppingError(status);
    }
    backoff = std::min(backoff * 2, kBackoffMax);
  }
}

absl::Status PostgresStore::StoppingError(const absl::Status& last) const {
  return absl::UnavailableError(
      absl::StrCat(name_,
                   ": the store is unreachable and the broker is stopping; this batch may "
                   "not be committed (last error: ",
                   last.message(), ")"));
}

bool PostgresStore::SleepUnlessCancelled(std::chrono::milliseconds delay) {
  pollfd fd = {.fd = cancel_wake_.fd(), .events = POLLIN, .revents = 0};
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (!cancelled_.load()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return true;
    }
    ::poll(&fd, 1, static_cast<int>(left.count()));
  }
  return false;
}

void PostgresStore::Cancel() {
  cancelled_.store(true);
  cancel_wake_.Notify();  // never drained: every later wait ends at once too
}

StoreHealth PostgresStore::Health() const {
  std::lock_guard<std::mutex> lock(health_mutex_);
  return health_;
}

void PostgresStore::MarkReachable() {
  std::lock_guard<std::mutex> lock(health_mutex_);
  health_ = StoreHealth{};
}

void PostgresStore::MarkUnreachable(const absl::Status& status, bool count_retry) {
  std::lock_guard<std::mutex> lock(health_mutex_);
  if (health_.reachable) {
    health_.reachable = false;
    health_.unreachable_since_unix_ms = UnixMs();
  }
  health_.last_error = std::string(status.message());
  if (count_retry) {
    ++health_.retries;
  }
}

}  // namespace jobq::broker::store
