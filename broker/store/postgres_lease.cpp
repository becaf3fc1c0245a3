#include "broker/store/postgres_lease.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/store/postgres_array.h"
#include "broker/store/postgres_connection.h"
#include "broker/store/postgres_schema.h"
#include "common/status_macros.h"

namespace jobq::broker::store {
namespace {

constexpr char kLeaseApplicationName[] = "jobq-broker-lease";

// A statement that waits longer than this for a lock (a takeover waits for
// the commits in flight, which hold the row FOR KEY SHARE; a renewal only
// for a takeover) or for the server fails, and the caller tries again
// while its lease still runs.
constexpr char kLeaseSessionSql[] =
    "SET statement_timeout = '2s';"
    "SET lock_timeout = '1s'";

// FOR UPDATE first: it waits for every commit in flight (jobq_fence holds
// the row FOR KEY SHARE, which an UPDATE of non-key columns alone would
// not wait for), and commits that start after it wait for the takeover and
// then find the new epoch. The expiry is checked on the row as locked.
constexpr char kAcquireSql[] =
    "WITH locked AS (SELECT id FROM jobq_leader WHERE id = 1 FOR UPDATE) "
    "UPDATE jobq_leader SET epoch = epoch + 1, holder = $1::text, endpoint = $2::text, "
    "expires_at = now() + $3::int8 * interval '1 millisecond' "
    "FROM locked WHERE jobq_leader.id = locked.id AND jobq_leader.expires_at <= now() "
    "RETURNING jobq_leader.epoch";
constexpr char kRenewSql[] =
    "UPDATE jobq_leader SET expires_at = now() + $2::int8 * interval '1 millisecond' "
    "WHERE id = 1 AND epoch = $1::int8 RETURNING epoch";
constexpr char kReadSql[] =
    "SELECT epoch, holder, endpoint, expires_at <= now(), "
    "(extract(epoch FROM greatest(expires_at - now(), interval '0')) * 1000)::bigint "
    "FROM jobq_leader WHERE id = 1";
constexpr char kReleaseSql[] =
    "UPDATE jobq_leader SET expires_at = now() "
    "WHERE id = 1 AND epoch = $1::int8 AND expires_at > now()";

absl::Status CheckTtl(std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a lease's ttl must be positive, not ", ttl.count(), " ms"));
  }
  return absl::OkStatus();
}

// One statement in autocommit, on `connection`, which is made anew when it
// is missing and dropped when the statement lost it. A connection kept
// from an earlier call may have died unnoticed (a restarted server): its
// statement is tried once more on a fresh one, which every statement here
// allows (each is idempotent, or, for a takeover whose answer was lost,
// only leaves the lease to lapse), so that no caller needs a second call.
absl::StatusOr<PgResult> Run(std::unique_ptr<PgConnection>& connection, const std::string& conninfo,
                             const char* sql, std::initializer_list<absl::string_view> params,
                             absl::string_view what) {
  const bool kept = connection != nullptr && connection->ok();
  if (!kept) {
    connection.reset();
    absl::StatusOr<std::unique_ptr<PgConnection>> fresh =
        PgConnection::Connect(conninfo, kLeaseApplicationName, kLeaseSessionSql);
    if (!fresh.ok()) {
      return absl::UnavailableError(fresh.status().message());
    }
    connection = std::move(*fresh);
  }
  absl::StatusOr<PgResult> result = connection->Query(sql, params, what, /*result_format=*/0);
  if (!result.ok() && !connection->ok()) {
    connection.reset();
    if (kept) {
      return Run(connection, conninfo, sql, params, what);  // now on a fresh connection
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresLease>> PostgresLease::Open(const std::string& conninfo,
                                                                   std::string holder,
                                                                   std::string endpoint) {
  JOBQ_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> connection,
                        PgConnection::Connect(conninfo, kLeaseApplicationName, kLeaseSessionSql));
  JOBQ_RETURN_IF_ERROR(MigratePostgresSchema(*connection));
  return std::unique_ptr<PostgresLease>(
      new PostgresLease(conninfo, std::move(connection), std::move(holder), std::move(endpoint)));
}

PostgresLease::PostgresLease(std::string conninfo, std::unique_ptr<PgConnection> connection,
                             std::string holder, std::string endpoint)
    : conninfo_(std::move(conninfo)),
      name_(connection->name()),
      connection_(std::move(connection)),
      holder_(std::move(holder)),
      endpoint_(std::move(endpoint)) {}

PostgresLease::~PostgresLease() = default;

absl::StatusOr<std::optional<int64_t>> PostgresLease::TryAcquire(std::chrono::milliseconds ttl) {
  JOBQ_RETURN_IF_ERROR(CheckTtl(ttl));
  const std::string ttl_ms = PgInt64(ttl.count());
  JOBQ_ASSIGN_OR_RETURN(PgResult result,
                        Run(connection_, conninfo_, kAcquireSql, {holder_, endpoint_, ttl_ms},
                            "cannot take the leadership lease"));
  if (PQntuples(result.get()) == 0) {
    return std::nullopt;
  }
  return std::optional<int64_t>(std::atoll(PQgetvalue(result.get(), 0, 0)));
}

absl::StatusOr<bool> PostgresLease::Renew(int64_t epoch, std::chrono::milliseconds ttl) {
  JOBQ_RETURN_IF_ERROR(CheckTtl(ttl));
  const std::string epoch_bytes = PgInt64(epoch);
  const std::string ttl_ms = PgInt64(ttl.count());
  JOBQ_ASSIGN_OR_RETURN(PgResult result,
                        Run(connection_, conninfo_, kRenewSql, {epoch_bytes, ttl_ms},
                            "cannot renew the leadership lease"));
  return PQntuples(result.get()) == 1;
}

absl::StatusOr<LeaderInfo> PostgresLease::Read() {
  JOBQ_ASSIGN_OR_RETURN(PgResult result, Run(connection_, conninfo_, kReadSql, {},
                                             "cannot read the leadership lease"));
  const PGresult* rows = result.get();
  if (PQntuples(rows) != 1) {
    return absl::DataLossError(
        absl::StrCat(name_, ": jobq_leader has ", PQntuples(rows), " rows, not one"));
  }
  LeaderInfo info;
  info.epoch = std::atoll(PQgetvalue(rows, 0, 0));
  info.holder = PQgetvalue(rows, 0, 1);
  info.endpoint = PQgetvalue(rows, 0, 2);
  info.expired = PQgetvalue(rows, 0, 3)[0] == 't';
  info.expires_in_ms = std::atoll(PQgetvalue(rows, 0, 4));
  return info;
}

absl::Status PostgresLease::Release(int64_t epoch) {
  const std::string epoch_bytes = PgInt64(epoch);
  return Run(connection_, conninfo_, kReleaseSql, {epoch_bytes},
             "cannot release the leadership lease")
      .status();
}

}  // namespace jobq::broker::store
