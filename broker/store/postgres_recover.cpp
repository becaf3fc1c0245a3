// PostgresStore::Recover: every table read whole, checked as SqliteStore
// checks its own (an id of 16 bytes, a record that parses and names the
// same id; DATA_LOSS naming the row otherwise). The jobs, which may be
// millions, come through a binary COPY, without a result set in memory
// or a text conversion. Parsed on this thread: building a million
// core::Jobs is mostly touching fresh memory, and parsing on worker
// threads, then gathering their jobs into one vector, measured slower
// (bench/jobq/postgres_store.cpp).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/core/limit_record.h"
#include "broker/store/job_record.h"
#include "broker/store/postgres_connection.h"
#include "broker/store/postgres_copy.h"
#include "broker/store/postgres_store.h"
#include "common/status_macros.h"

namespace jobq::broker::store {
namespace {

constexpr char kCopyJobsSql[] =
    "COPY (SELECT id, record FROM jobq_jobs) TO STDOUT WITH (FORMAT binary)";

std::string_view Value(const PGresult* result, int row, int column) {
  return std::string_view(PQgetvalue(result, row, column),
                          static_cast<size_t>(PQgetlength(result, row, column)));
}

int64_t Int64Value(const PGresult* result, int row, int column) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, column));
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | bytes[i];
  }
  return static_cast<int64_t>(value);
}

}  // namespace

absl::StatusOr<Recovered> PostgresStore::Recover() {
  if (connection_ == nullptr || !connection_->ok()) {
    JOBQ_RETURN_IF_ERROR(Reconnect());
  }
  Recovered recovered;
  absl::Status status = [&]() -> absl::Status {
    JOBQ_ASSIGN_OR_RETURN(recovered.jobs, RecoverJobs());
    JOBQ_ASSIGN_OR_RETURN(recovered.sentinels, RecoverSentinels());
    JOBQ_ASSIGN_OR_RETURN(recovered.schedules, RecoverSchedules());
    JOBQ_ASSIGN_OR_RETURN(recovered.limits, RecoverLimits());
    JOBQ_ASSIGN_OR_RETURN(recovered.workflows, RecoverWorkflows());
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    // Perhaps in the middle of the COPY: the next use starts afresh.
    connection_.reset();
    return status;
  }
  return recovered;
}

absl::StatusOr<std::vector<core::Job>> PostgresStore::RecoverJobs() {
  std::vector<core::Job> jobs;
  // Room for every job at once: a vector that grows moves each Job again
  // and again. The planner's estimate costs nothing; a table never
  // analyzed has none (-1), and then count(*) is worth its scan.
  JOBQ_ASSIGN_OR_RETURN(PgResult estimate,
                        connection_->Query("SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint "
                                           "ELSE (SELECT count(*) FROM jobq_jobs) END "
                                           "FROM pg_class WHERE oid = 'jobq_jobs'::regclass",
                                           {}, "cannot read the jobs", /*result_format=*/0));
  if (PQntuples(estimate.get()) == 1) {
    const long long rows = std::atoll(PQgetvalue(estimate.get(), 0, 0));
    // A little over the estimate, which lags behind the table.
    jobs.reserve(static_cast<size_t>(std::clamp<long long>(rows + rows / 8, 0, 100'000'000)));
  }

  PGconn* conn = connection_->get();
  PgResult copy(PQexec(conn, kCopyJobsSql));
  if (PQresultStatus(copy.get()) != PGRES_COPY_OUT) {
    return connection_->Error("cannot read the jobs", copy.get());
  }
  PgCopyReader reader;
  JobRecord record;
  auto on_row = [&](std::span<const std::string_view> fields) -> absl::Status {
    if (fields.size() != 2 || fields[0].data() == nullptr || fields[1].data() == nullptr) {
      return absl::DataLossError(absl::StrCat(name_, ": a row of jobq_jobs has NULLs"));
    }
    const std::string_view key = fields[0];
    if (key.size() != JobId::kSize) {
      return absl::DataLossError(
          absl::StrCat(name_, ": a row's id has ", key.size(), " bytes, not 16"));
    }
    if (!record.ParseFromArray(fields[1].data(), static_cast<int>(fields[1].size()))) {
      return absl::DataLossError(absl::StrCat(
          name_, ": the record of job ", JobId::FromBytes(key)->ToString(), " does not parse"));
    }
    if (record.id() != key) {
      return absl::DataLossError(absl::StrCat(
          name_, ": the record of job ", JobId::FromBytes(key)->ToString(), " has another id"));
    }
    jobs.push_back(FromRecord(std::move(record)));
    return absl::OkStatus();
  };
  for (;;) {
    char* data = nullptr;
    const int size = PQgetCopyData(conn, &data, /*async=*/0);
    if (size == -1) {
      break;  // the COPY is done
    }
    if (size < 0) {
      return connection_->Error("cannot read the jobs", nullptr);
    }
    absl::Status fed = reader.Feed(std::string_view(data, static_cast<size_t>(size)), on_row);
    PQfreemem(data);
    if (!fed.ok()) {
      if (fed.code() == absl::StatusCode::kDataLoss && !absl::StartsWith(fed.message(), name_)) {
        return absl::DataLossError(absl::StrCat(name_, ": reading the jobs: ", fed.message()));
      }
      return fed;
    }
  }
  PgResult end(PQgetResult(conn));
  if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
    return connection_->Error("cannot read the jobs", end.get());
  }
  while (PgResult(PQgetResult(conn)) != nullptr) {
  }
  if (!reader.finished()) {
    return absl::DataLossError(absl::StrCat(name_, ": the jobs' COPY stream ended early"));
  }
  return jobs;
}

absl::StatusOr<std::vector<core::SentinelMark>> PostgresStore::RecoverSentinels() {
  JOBQ_ASSIGN_OR_RETURN(PgResult rows, connection_->Query("SELECT id, queue FROM jobq_sentinels",
                                                          {}, "cannot read the sentinels"));
  std::vector<core::SentinelMark> sentinels;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    const std::string_view id = Value(rows.get(), row, 0);
    std::optional<JobId> parsed = JobId::FromBytes(id);
    if (!parsed) {
      return absl::DataLossError(
          absl::StrCat(name_, ": a sentinel's id has ", id.size(), " bytes, not 16"));
    }
    sentinels.push_back({*parsed, std::string(Value(rows.get(), row, 1))});
  }
  return sentinels;
}

absl::StatusOr<std::vector<ScheduleRecord>> PostgresStore::RecoverSchedules() {
  JOBQ_ASSIGN_OR_RETURN(PgResult rows, connection_->Query("SELECT name, record FROM jobq_schedules",
                                                          {}, "cannot read the schedules"));
  std::vector<ScheduleRecord> schedules;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    const std::string_view name = Value(rows.get(), row, 0);
    const std::string_view data = Value(rows.get(), row, 1);
    ScheduleRecord& record = schedules.emplace_back();
    if (!record.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return absl::DataLossError(absl::StrCat(name_, ": the record of schedule \"",
                                              std::string(name), "\" does not parse"));
    }
    if (record.spec().name() != name) {
      return absl::DataLossError(absl::StrCat(name_, ": the record of schedule \"",
                                              std::string(name), "\" has another name"));
    }
  }
  return schedules;
}

absl::StatusOr<std::vector<core::LimitRecord>> PostgresStore::RecoverLimits() {
  // COLLATE "C": byte order, as SqliteStore's, whatever the database's
  // collation.
  JOBQ_ASSIGN_OR_RETURN(
      PgResult rows,
      connection_->Query("SELECT queue, task, rate_count, rate_period_ms, burst, concurrency "
                         "FROM jobq_limits ORDER BY queue COLLATE \"C\", task COLLATE \"C\"",
                         {}, "cannot read the limits"));
  std::vector<core::LimitRecord> limits;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    core::LimitRecord limit;
    limit.queue = std::string(Value(rows.get(), row, 0));
    limit.task = std::string(Value(rows.get(), row, 1));
    limit.rate.count = Int64Value(rows.get(), row, 2);
    limit.rate.period_ms = Int64Value(rows.get(), row, 3);
    limit.burst = Int64Value(rows.get(), row, 4);
    limit.concurrency = Int64Value(rows.get(), row, 5);
    if (absl::Status valid = core::CheckLimit(limit); !valid.ok()) {
      return absl::DataLossError(absl::StrCat(name_, ": the limit of ",
                                              core::LimitName(limit.queue, limit.task),
                                              " is not valid: ", valid.message()));
    }
    limits.push_back(std::move(limit));
  }
  return limits;
}

absl::StatusOr<std::vector<WorkflowRecord>> PostgresStore::RecoverWorkflows() {
  JOBQ_ASSIGN_OR_RETURN(PgResult rows, connection_->Query("SELECT id, record FROM jobq_workflows",
                                                          {}, "cannot read the workflows"));
  std::vector<WorkflowRecord> workflows;
  for (int row = 0; row < PQntuples(rows.get()); ++row) {
    const std::string_view id = Value(rows.get(), row, 0);
    const std::string_view data = Value(rows.get(), row, 1);
    WorkflowRecord& record = workflows.emplace_back();
    if (!record.ParseFromArray(data.data(), static_cast<int>(data.size())) ||
        id.size() != JobId::kSize || record.id() != id) {
      return absl::DataLossError(
          absl::StrCat(name_, ": a workflow's record does not parse, or has another id"));
    }
  }
  return workflows;
}

}  // namespace jobq::broker::store
