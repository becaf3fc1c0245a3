#pragma once
// The PostgreSQL store's schema: its tables (all named jobq_*, since a
// database is often shared with other programs) and the migrations that
// create and change them. Version 1:
//   jobq_jobs(id bytea primary key, state int, queue text, record bytea)
//       one serialized jobq.store.JobRecord per job, as SqliteStore's jobs
//   jobq_sentinels(id, queue)  jobq_schedules(name, record)
//   jobq_limits(queue, task, rate_count, rate_period_ms, burst, concurrency)
//   jobq_workflows(id, record)
//       as SqliteStore's tables of the same names without the prefix
//   jobq_leader(id = 1, epoch, holder, endpoint, expires_at)
//       the leadership lease (postgres_lease.h), one row
//   jobq_fence(epoch)
//       a function that fails with SQLSTATE JQ001 unless `epoch` is the
//       lease's, holding the row FOR KEY SHARE until the transaction ends
//   jobq_schema(version)
//       one row: the schema version

#include "absl/status/status.h"
#include "broker/store/postgres_connection.h"
#include "broker/store/postgres_store.h"

namespace jobq::broker::store {

// Brings the database's schema up to PostgresStore::kSchemaVersion in one
// transaction, under an advisory lock so that brokers starting together
// migrate once, one after the other. Refuses (FAILED_PRECONDITION) a
// schema newer than this build's. Leaves no transaction open.
absl::Status MigratePostgresSchema(PgConnection& connection);

}  // namespace jobq::broker::store
