#pragma once
// The statements of PostgresStore::Commit, prepared on each connection
// when it opens. Each takes whole columns as binary arrays
// (postgres_array.h), so that a batch of any size is one statement per
// table and the whole batch one round trip (pipeline mode). Every one is
// idempotent (an upsert or a delete by key), so a batch may be applied
// twice: PostgresStore retries a batch whose COMMIT may or may not have
// arrived.

namespace jobq::broker::store {

struct PgPreparedStatement {
  const char* name;
  const char* sql;
};

inline constexpr PgPreparedStatement kPgFence = {"jobq_fence", "SELECT jobq_fence($1::int8)"};
// ON CONFLICT DO UPDATE refuses to touch a row twice in one statement:
// callers send each id once (the last state of the batch).
inline constexpr PgPreparedStatement kPgUpsertJobs = {
    "jobq_upsert_jobs",
    "INSERT INTO jobq_jobs (id, state, queue, record) "
    "SELECT * FROM unnest($1::bytea[], $2::int4[], $3::text[], $4::bytea[]) "
    "ON CONFLICT (id) DO UPDATE SET "
    "state = EXCLUDED.state, queue = EXCLUDED.queue, record = EXCLUDED.record"};
inline constexpr PgPreparedStatement kPgEraseJobs = {
    "jobq_erase_jobs", "DELETE FROM jobq_jobs WHERE id = ANY($1::bytea[])"};
inline constexpr PgPreparedStatement kPgUpsertSentinels = {
    "jobq_upsert_sentinels",
    "INSERT INTO jobq_sentinels (id, queue) SELECT * FROM unnest($1::bytea[], $2::text[]) "
    "ON CONFLICT (id) DO UPDATE SET queue = EXCLUDED.queue"};
inline constexpr PgPreparedStatement kPgEraseSentinels = {
    "jobq_erase_sentinels", "DELETE FROM jobq_sentinels WHERE id = ANY($1::bytea[])"};
inline constexpr PgPreparedStatement kPgEraseSchedules = {
    "jobq_erase_schedules", "DELETE FROM jobq_schedules WHERE name = ANY($1::text[])"};
inline constexpr PgPreparedStatement kPgUpsertSchedules = {
    "jobq_upsert_schedules",
    "INSERT INTO jobq_schedules (name, record) SELECT * FROM unnest($1::text[], $2::bytea[]) "
    "ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record"};
// Limits are rare admin writes, applied one by one in their order.
inline constexpr PgPreparedStatement kPgUpsertLimit = {
    "jobq_upsert_limit",
    "INSERT INTO jobq_limits (queue, task, rate_count, rate_period_ms, burst, concurrency) "
    "VALUES ($1::text, $2::text, $3::int8, $4::int8, $5::int8, $6::int8) "
    "ON CONFLICT (queue, task) DO UPDATE SET rate_count = EXCLUDED.rate_count, "
    "rate_period_ms = EXCLUDED.rate_period_ms, burst = EXCLUDED.burst, "
    "concurrency = EXCLUDED.concurrency"};
inline constexpr PgPreparedStatement kPgEraseLimit = {
    "jobq_erase_limit", "DELETE FROM jobq_limits WHERE queue = $1::text AND task = $2::text"};
inline constexpr PgPreparedStatement kPgEraseWorkflows = {
    "jobq_erase_workflows", "DELETE FROM jobq_workflows WHERE id = ANY($1::bytea[])"};
inline constexpr PgPreparedStatement kPgUpsertWorkflows = {
    "jobq_upsert_workflows",
    "INSERT INTO jobq_workflows (id, record) SELECT * FROM unnest($1::bytea[], $2::bytea[]) "
    "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record"};

inline constexpr const PgPreparedStatement* kPgCommitStatements[] = {
    &kPgFence,          &kPgUpsertJobs,     &kPgEraseJobs,       &kPgUpsertSentinels,
    &kPgEraseSentinels, &kPgEraseSchedules, &kPgUpsertSchedules, &kPgUpsertLimit,
    &kPgEraseLimit,     &kPgEraseWorkflows, &kPgUpsertWorkflows,
};

}  // namespace jobq::broker::store
