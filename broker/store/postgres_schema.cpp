#include "broker/store/postgres_schema.h"

#include <cstdlib>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace jobq::broker::store {
namespace {

// pg_advisory_xact_lock's key for migrations: "JOBQ", as SqliteStore's
// application_id. Released with the migration's transaction.
constexpr char kLockSql[] = "SELECT pg_advisory_xact_lock(1246708305)";

// Schema migrations: step i takes jobq_schema.version from i to i + 1.
// Append only; never edit a step that has shipped.
constexpr const char* kMigrations[] = {
    // 0 -> 1. The job tables keep what SqliteStore's keep (schema 5), the
    // same records in the same columns. fillfactor 80 leaves room on each
    // page so that a job's updates, which change no indexed column, stay
    // HOT (no index write, no page split).
    "CREATE TABLE jobq_jobs ("
    "  id bytea PRIMARY KEY CHECK (length(id) = 16),"
    "  state integer NOT NULL,"
    "  queue text NOT NULL,"
    "  record bytea NOT NULL"
    ") WITH (fillfactor = 80);"
    "CREATE TABLE jobq_sentinels ("
    "  id bytea PRIMARY KEY CHECK (length(id) = 16),"
    "  queue text NOT NULL"
    ");"
    "CREATE TABLE jobq_schedules ("
    "  name text PRIMARY KEY,"
    "  record bytea NOT NULL"
    ");"
    "CREATE TABLE jobq_limits ("
    "  queue text NOT NULL,"
    "  task text NOT NULL,"
    "  rate_count bigint NOT NULL,"
    "  rate_period_ms bigint NOT NULL,"
    "  burst bigint NOT NULL,"
    "  concurrency bigint NOT NULL,"
    "  PRIMARY KEY (queue, task)"
    ");"
    "CREATE TABLE jobq_workflows ("
    "  id bytea PRIMARY KEY CHECK (length(id) = 16),"
    "  record bytea NOT NULL"
    ");"
    // The leadership lease: one row, epoch 0 and long expired, so that the
    // first broker to try takes it with epoch 1. Times are the database's
    // (now()), never a broker's clock.
    "CREATE TABLE jobq_leader ("
    "  id integer PRIMARY KEY CHECK (id = 1),"
    "  epoch bigint NOT NULL,"
    "  holder text NOT NULL,"
    "  endpoint text NOT NULL,"
    "  expires_at timestamptz NOT NULL"
    ");"
    "INSERT INTO jobq_leader VALUES (1, 0, '', '', to_timestamp(0));"
    // Fencing: the first statement of a leader's commit. FOR SHARE, held to
    // the end of the transaction, makes a takeover (an UPDATE of the row)
    // wait for the commits in flight, and a commit that starts after it
    // see the new epoch. An error, not an empty result, so that the rest of
    // the pipelined transaction is skipped and rolled back by the server.
    "CREATE FUNCTION jobq_fence(expected bigint) RETURNS void LANGUAGE plpgsql AS $$\n"
    "DECLARE\n"
    "  current_epoch bigint;\n"
    "  current_holder text;\n"
    "BEGIN\n"
    "  SELECT epoch, holder INTO current_epoch, current_holder\n"
    "    FROM jobq_leader WHERE id = 1 FOR SHARE;\n"
    "  IF current_epoch IS DISTINCT FROM expected THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'JQ001', MESSAGE = format(\n"
    "      'the lease is at epoch %s (held by %s), this broker''s epoch was %s',\n"
    "      current_epoch, quote_literal(current_holder), expected);\n"
    "  END IF;\n"
    "END\n"
    "$$;",
    // 1 -> 2. The fence holds the lease row FOR KEY SHARE, not FOR SHARE.
    // A renewal (an UPDATE of expires_at alone, which takes FOR NO KEY
    // UPDATE) then never waits for commits: under FOR SHARE it waited
    // behind them, and as each commit's share lock let the next one in
    // ahead of it, a leader streaming commits back to back could not renew
    // and lost its own lease. A takeover still waits for every commit in
    // flight: it locks the row FOR UPDATE first (postgres_lease.cpp), which
    // conflicts with FOR KEY SHARE, and PostgreSQL carries the key-share
    // locks over to the row's new version when a renewal updates it.
    "CREATE OR REPLACE FUNCTION jobq_fence(expected bigint) RETURNS void LANGUAGE plpgsql AS $$\n"
    "DECLARE\n"
    "  current_epoch bigint;\n"
    "  current_holder text;\n"
    "BEGIN\n"
    "  SELECT epoch, holder INTO current_epoch, current_holder\n"
    "    FROM jobq_leader WHERE id = 1 FOR KEY SHARE;\n"
    "  IF current_epoch IS DISTINCT FROM expected THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = 'JQ001', MESSAGE = format(\n"
    "      'the lease is at epoch %s (held by %s), this broker''s epoch was %s',\n"
    "      current_epoch, quote_literal(current_holder), expected);\n"
    "  END IF;\n"
    "END\n"
    "$$;",
};
static_assert(std::size(kMigrations) == PostgresStore::kSchemaVersion,
              "one migration step per schema version");

// A jobq session of this database whose tables are in another schema (its
// application_name says which, PgConnection's session setup). Brokers are
// meant to share a store when they share a database: two schemas would be
// two stores, each with its leader, and the producers and workers given
// both brokers would spread jobs over the two.
constexpr char kOtherSchemaSql[] =
    "SELECT application_name, pid, coalesce(host(client_addr), 'a local socket') "
    "FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND (application_name LIKE 'jobq-broker:%' OR application_name LIKE 'jobq-broker-lease:%') "
    "AND application_name NOT IN (left('jobq-broker:' || coalesce(current_schema(), ''), 63), "
    "left('jobq-broker-lease:' || coalesce(current_schema(), ''), 63)) "
    "LIMIT 1";

absl::Status RefuseAnotherSchema(PgConnection& connection) {
  JOBQ_ASSIGN_OR_RETURN(PgResult other,
                        connection.Query(kOtherSchemaSql, {}, "cannot list the database's sessions",
                                         /*result_format=*/0));
  if (PQntuples(other.get()) == 0) {
    return absl::OkStatus();
  }
  const std::string application = PQgetvalue(other.get(), 0, 0);
  const std::string schema = application.substr(application.find(':') + 1);
  JOBQ_ASSIGN_OR_RETURN(PgResult own, connection.Query("SELECT coalesce(current_schema(), '')", {},
                                                       "cannot read the schema",
                                                       /*result_format=*/0));
  return absl::FailedPreconditionError(absl::StrCat(
      connection.name(), ": another jobq broker (server pid ", PQgetvalue(other.get(), 0, 1),
      ", from ", PQgetvalue(other.get(), 0, 2), ") uses schema \"", schema,
      "\" of this database, and this one's connection string leads to schema \"",
      PQgetvalue(own.get(), 0, 0),
      "\": brokers sharing a store must use the same schema (the same search_path); separate "
      "stores need separate databases. Nothing was written"));
}

// Inside the migration's transaction: lock, read the version, apply the
// missing steps, write the new version.
absl::Status MigrateLocked(PgConnection& connection) {
  JOBQ_RETURN_IF_ERROR(connection.Exec(kLockSql, "cannot lock the schema for migration"));
  // Under the lock, which is the database's: of two brokers starting at
  // once on two schemas, the second sees the first.
  JOBQ_RETURN_IF_ERROR(RefuseAnotherSchema(connection));
  // Not CREATE TABLE IF NOT EXISTS: that needs the right to create tables
  // even when the table is there, which a broker's user may lack once the
  // schema is made.
  JOBQ_ASSIGN_OR_RETURN(PgResult exists,
                        connection.Query("SELECT to_regclass('jobq_schema') IS NOT NULL", {},
                                         "cannot read the schema version", /*result_format=*/0));
  if (PQgetvalue(exists.get(), 0, 0)[0] != 't') {
    JOBQ_RETURN_IF_ERROR(connection.Exec("CREATE TABLE jobq_schema (version integer NOT NULL)",
                                         "cannot create the table jobq_schema"));
  }
  JOBQ_ASSIGN_OR_RETURN(PgResult rows,
                        connection.Query("SELECT version FROM jobq_schema", {},
                                         "cannot read the schema version", /*result_format=*/0));
  if (PQntuples(rows.get()) > 1) {
    return absl::DataLossError(absl::StrCat(connection.name(), ": jobq_schema has ",
                                            PQntuples(rows.get()),
                                            " rows, not one; something other than jobq wrote it"));
  }
  const bool has_row = PQntuples(rows.get()) == 1;
  const int version = has_row ? std::atoi(PQgetvalue(rows.get(), 0, 0)) : 0;
  if (version > PostgresStore::kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        connection.name(), ": schema version ", version, " is newer than this jobq knows (",
        PostgresStore::kSchemaVersion, "); it was written by a newer jobq: run that one"));
  }
  for (int step = version; step < PostgresStore::kSchemaVersion; ++step) {
    JOBQ_RETURN_IF_ERROR(connection.Exec(
        kMigrations[step], absl::StrCat("migration to schema version ", step + 1, " failed")));
  }
  if (version == PostgresStore::kSchemaVersion) {
    return absl::OkStatus();
  }
  const std::string write_version =
      has_row
          ? absl::StrCat("UPDATE jobq_schema SET version = ", PostgresStore::kSchemaVersion)
          : absl::StrCat("INSERT INTO jobq_schema VALUES (", PostgresStore::kSchemaVersion, ")");
  return connection.Exec(write_version.c_str(), "cannot write the schema version");
}

}  // namespace

absl::Status MigratePostgresSchema(PgConnection& connection) {
  JOBQ_RETURN_IF_ERROR(connection.Exec("BEGIN", "cannot start the migration"));
  absl::Status status = MigrateLocked(connection);
  if (status.ok()) {
    status = connection.Exec("COMMIT", "cannot commit the migration");
  }
  if (!status.ok() && connection.ok()) {
    // The error already aborted the transaction; this ends it, so that the
    // connection can be used again.
    connection.Exec("ROLLBACK", "cannot roll back the migration").IgnoreError();
  }
  return status;
}

}  // namespace jobq::broker::store
