#include "broker/store/postgres_connection.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "broker/store/deposed.h"

namespace jobq::broker::store {
namespace {

// Defaults a connection string may override (they come before it in
// PQconnectdbParams's arrays, and later values win). The keepalives and the
// TCP user timeout turn a server that vanished without closing the
// connection (a partition, a host that died) into an error within about
// 5 s instead of a Commit that waits forever: a few leases (2 s by
// default), not fifteen. The loop waits on its commit and renewal, and a
// leader cut off for 30 s (the earlier defaults) answered no admin call,
// not even status, for all that time. A busy server still answers the
// keepalive probes (its kernel does), so a long query is not cut short.
constexpr const char* kDefaultKeys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval",
                                        "keepalives_count", "tcp_user_timeout"};
constexpr const char* kDefaultValues[] = {"5", "2", "1", "2", "5000"};

// Set on every session, after the connection string: not the operator's
// choice. A broker paused inside a transaction (SIGSTOP, a debugger) would
// otherwise hold its row locks, and with them the leadership row, forever;
// and an acknowledged job must be on the server's disk.
constexpr char kJobqSessionSql[] =
    "SET idle_in_transaction_session_timeout = '5s';"
    "SET synchronous_commit = on;"
    "SET client_encoding = 'UTF8';"
    // The server's side of the connection: a broker cut off in the middle
    // of a pipelined commit leaves its backend waiting for the rest, inside
    // the transaction and holding the lease row FOR KEY SHARE (jobq_fence), so
    // no standby could take over; idle_in_transaction_session_timeout does
    // not count there (no Sync yet). Keepalives end that backend once the
    // broker has been silent for about 4 s, and tcp_user_timeout one whose
    // answers the broker stopped taking.
    "SET tcp_keepalives_idle = 2;"
    "SET tcp_keepalives_interval = 1;"
    "SET tcp_keepalives_count = 2;"
    "SET tcp_user_timeout = 5000;"
    // "jobq-broker:SCHEMA": another broker pointed at another schema of
    // this database can tell (MigratePostgresSchema), and so can an
    // operator reading pg_stat_activity. 63 bytes is PostgreSQL's limit.
    "SELECT set_config('application_name', left(current_setting('application_name') || ':' "
    "|| coalesce(current_schema(), ''), 63), false)";

// libpq's messages end in a newline and put hints on indented lines.
std::string OneLine(absl::string_view message) {
  std::string line = absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(message),
                                         {{"\n\t", " "}, {"\n", " "}});
  return line;
}

// A connection string that libpq cannot parse is not echoed when it may
// hold a password: libpq's message quotes the part it choked on.
bool MayHoldPassword(absl::string_view conninfo) {
  if (absl::StrContains(absl::AsciiStrToLower(conninfo), "password")) {
    return true;
  }
  // postgres://user:secret@host/db
  const size_t scheme_end = conninfo.find("://");
  const size_t at = conninfo.find('@');
  if (scheme_end == absl::string_view::npos || at == absl::string_view::npos || at < scheme_end) {
    return false;
  }
  return conninfo.substr(scheme_end + 3, at - scheme_end - 3).find(':') != absl::string_view::npos;
}

bool IsConnectionSqlState(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") ||  // connection exception
         absl::StartsWith(sqlstate, "53") ||  // out of resources: disk, memory, connections
         sqlstate == "57P01" ||               // admin_shutdown: the server stops
         sqlstate == "57P02" ||               // crash_shutdown
         sqlstate == "57P03" ||               // cannot_connect_now: starting or stopping
         sqlstate == "25006" ||               // read-only: a standby, after a failover
         sqlstate == "55P03";                 // lock_not_available (lock_timeout)
}

absl::Status ConnectError(PGconn* conn) {
  const std::string prefix = absl::StrCat(PgConnectionName(conn), ": cannot connect: ");
  const std::string message = OneLine(PQerrorMessage(conn));
  if (PQconnectionNeedsPassword(conn)) {
    return absl::PermissionDeniedError(absl::StrCat(
        prefix, message,
        "; the server wants a password: put it in a password file (PGPASSFILE, or passfile= in "
        "the connection string), never on the command line"));
  }
  if (absl::StrContains(message, "password authentication failed") ||
      absl::StrContains(message, "pg_hba.conf") ||
      absl::StrContains(message, "authentication failed")) {
    return absl::PermissionDeniedError(absl::StrCat(
        prefix, message,
        "; check the user, the password in the password file (PGPASSFILE or passfile=) and the "
        "server's pg_hba.conf"));
  }
  if (absl::StrContains(message, "role \"") && absl::StrContains(message, "does not exist")) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, message,
                     "; create the user (createuser), or give another in the connection string"));
  }
  if (absl::StrContains(message, "SSL") || absl::StrContains(message, "certificate")) {
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, message,
                     "; check sslmode, sslrootcert (the CA of the server's certificate), and that "
                     "the server has TLS enabled (docs/postgres.md)"));
  }
  if (absl::StrContains(message, "database \"") && absl::StrContains(message, "does not exist")) {
    return absl::NotFoundError(
        absl::StrCat(prefix, message, "; create it first (createdb, or CREATE DATABASE)"));
  }
  return absl::UnavailableError(absl::StrCat(
      prefix, message,
      "; check that PostgreSQL runs there and accepts connections, and the host and port in "
      "the connection string"));
}

}  // namespace

std::string PgConnectionName(const PGconn* conn) {
  auto text = [](const char* value) { return value == nullptr ? "" : value; };
  return absl::StrCat("postgres://", text(PQuser(conn)), "@", text(PQhost(conn)), ":",
                      text(PQport(conn)), "/", text(PQdb(conn)));
}

absl::Status PgError(absl::string_view prefix, absl::string_view message,
                     absl::string_view sqlstate, bool connection_bad) {
  const std::string text = absl::StrCat(prefix, ": ", OneLine(message));
  if (sqlstate == kDeposedSqlState) {
    return DeposedError(OneLine(message));
  }
  if (connection_bad || IsConnectionSqlState(sqlstate)) {
    return absl::UnavailableError(text);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {  // serialization failure, deadlock
    return absl::AbortedError(text);
  }
  if (absl::StartsWith(sqlstate, "28") || sqlstate == "42501") {
    return absl::PermissionDeniedError(
        absl::StrCat(text, "; grant this user the rights on the jobq_ tables (docs/postgres.md)"));
  }
  if (sqlstate == "57014") {  // query_canceled: statement_timeout or a cancel request
    return absl::DeadlineExceededError(text);
  }
  return absl::InternalError(text);
}

bool IsRetryablePgError(const absl::Status& status) {
  return (status.code() == absl::StatusCode::kUnavailable ||
          status.code() == absl::StatusCode::kAborted) &&
         !IsDeposed(status);
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo, absl::string_view application_name,
    absl::string_view session_sql) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    const std::string message = parse_error == nullptr ? "out of memory" : OneLine(parse_error);
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        absl::StrCat("postgres: cannot parse the connection string",
                     MayHoldPassword(conninfo) ? "" : absl::StrCat(" (", message, ")"),
                     "; give a URI postgres://user@host:port/dbname or key=value pairs such as "
                     "\"host=db.example port=5432 dbname=jobq user=jobq\""));
  }
  PQconninfoFree(parsed);

  const std::string application(application_name);
  std::vector<const char*> keys(std::begin(kDefaultKeys), std::end(kDefaultKeys));
  std::vector<const char*> values(std::begin(kDefaultValues), std::end(kDefaultValues));
  keys.push_back("application_name");
  values.push_back(application.c_str());
  keys.push_back("dbname");  // expanded: the connection string's own values come last and win
  values.push_back(conninfo.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("postgres: libpq cannot allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = ConnectError(conn);
    PQfinish(conn);
    return status;
  }
  // Notices (CREATE TABLE IF NOT EXISTS on an existing table, ...) would
  // go to stderr; nothing in them needs an operator.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PgConnection> connection(new PgConnection(conn, PgConnectionName(conn)));
  if (absl::Status status = connection->Exec(kJobqSessionSql, "cannot set up the session");
      !status.ok()) {
    return status;
  }
  if (!session_sql.empty()) {
    const std::string sql(session_sql);
    if (absl::Status status = connection->Exec(sql.c_str(), "cannot set up the session");
        !status.ok()) {
      return status;
    }
  }
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::Status PgConnection::Error(absl::string_view what, const PGresult* result) const {
  std::string message;
  std::string sqlstate;
  if (result != nullptr) {
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    message = primary != nullptr ? primary : PQresultErrorMessage(result);
    if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
      absl::StrAppend(&message, " (", detail, ")");
    }
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) {
      sqlstate = state;
    }
  }
  if (message.empty()) {
    message = PQerrorMessage(conn_);
  }
  if (message.empty()) {
    message = "no answer from the server";
  }
  return PgError(absl::StrCat(name_, ": ", what), message, sqlstate,
                 PQstatus(conn_) != CONNECTION_OK);
}

absl::Status PgConnection::Exec(const char* sql, absl::string_view what) {
  PgResult result(PQexec(conn_, sql));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Error(what, result.get());
  }
  return absl::OkStatus();
}

absl::StatusOr<PgResult> PgConnection::Query(const char* sql,
                                             std::initializer_list<absl::string_view> params,
                                             absl::string_view what, int result_format) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (absl::string_view param : params) {
    values.push_back(param.data());
    lengths.push_back(static_cast<int>(param.size()));
    formats.push_back(1);
  }
  PgResult result(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), result_format));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Error(what, result.get());
  }
  return result;
}

}  // namespace jobq::broker::store
