#pragma once
// PgConnection: one libpq connection to the PostgreSQL store, and the
// errors of what runs on it as absl::Status that name the store as
// "postgres://user@host:port/dbname" (never its password) and say what to
// do. The internals of PostgresStore and PostgresLease; nothing outside
// broker/store includes libpq.
//
// The connection string is libpq's: a URI (postgres://, postgresql://) or
// key=value pairs. libpq itself reads the password from PGPASSFILE or the
// passfile= parameter and handles sslmode, sslrootcert and the rest; this
// class never looks at a password. Every session gets
// idle_in_transaction_session_timeout, so that a broker stopped in the
// middle of a transaction (SIGSTOP, a debugger) cannot hold row locks
// forever, and synchronous_commit=on, so that a commit is durable when it
// returns. Not thread-safe: one thread at a time uses a connection.

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobq::broker::store {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

class PgConnection {
 public:
  // Connects, waiting at most connect_timeout (10 s unless the connection
  // string says otherwise), and sets up the session: `session_sql` (SET
  // statements) runs after jobq's own. Errors: INVALID_ARGUMENT for a
  // connection string libpq cannot parse; UNAVAILABLE when the server
  // cannot be reached; PERMISSION_DENIED when it refuses the user or the
  // password; NOT_FOUND for a missing database.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                               absl::string_view application_name,
                                                               absl::string_view session_sql = "");

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* get() const { return conn_; }
  // Whether the connection still looks usable: a server that went away is
  // noticed only by the next statement, which then fails.
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  // "postgres://user@host:port/dbname", without the password.
  const std::string& name() const { return name_; }

  // Runs `sql` (no parameters; several statements allowed) and expects no
  // rows, or ignores them.
  absl::Status Exec(const char* sql, absl::string_view what);
  // Runs one statement whose parameters are all sent in binary (each
  // std::string holds one value's binary form), with results in
  // `result_format` (1 binary, 0 text). Fails unless it returned rows or
  // completed.
  absl::StatusOr<PgResult> Query(const char* sql, std::initializer_list<absl::string_view> params,
                                 absl::string_view what, int result_format = 1);

  // The failure of `what`, from `result` when it has one, else from the
  // connection's last error.
  absl::Status Error(absl::string_view what, const PGresult* result) const;

 private:
  PgConnection(PGconn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}

  PGconn* conn_;
  std::string name_;
};

// "postgres://user@host:port/dbname" of a connected (or failed) libpq
// connection: PQuser, PQhost, PQport and PQdb are what libpq resolved, with
// its defaults and environment applied; never the password.
std::string PgConnectionName(const PGconn* conn);

// The status of a failed statement or connection: `prefix` ("postgres://...:
// cannot write the jobs"), libpq's message, and the code and advice that fit
// its SQLSTATE (`sqlstate` may be empty: none). UNAVAILABLE for what a retry
// on a new connection may cure (connection lost, server shutting down or
// starting, too many connections, a read-only standby, out of disk),
// ABORTED for a serialization failure or deadlock, the deposed error for
// jobq's fence (SQLSTATE JQ001).
absl::Status PgError(absl::string_view prefix, absl::string_view message,
                     absl::string_view sqlstate, bool connection_bad);

// Whether a Commit may try `status` again from the start: the store was
// unreachable or a transaction lost a race; not a refusal that would come
// back every time.
bool IsRetryablePgError(const absl::Status& status);

// The SQLSTATE that jobq_fence() raises when the epoch is not current.
inline constexpr char kDeposedSqlState[] = "JQ001";

}  // namespace jobq::broker::store
