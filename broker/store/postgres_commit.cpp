// PostgresStore::Encode: a CommitBatch as the statements of one pipelined
// transaction, each table's rows as binary arrays (postgres_array.h), in
// SqliteStore's order: jobs upserted then erased; sentinels added then
// removed; schedules erased then changed; limits in order; workflows
// erased then changed.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "broker/store/job_record.h"
#include "broker/store/postgres_array.h"
#include "broker/store/postgres_pipeline.h"
#include "broker/store/postgres_statements.h"
#include "broker/store/postgres_store.h"
#include "common/status_macros.h"

namespace jobq::broker::store {
namespace {

// One statement's arrays stay below this many bytes, so that a batch of
// large jobs never meets PostgreSQL's 1 GB limit on a value: past it the
// batch's jobs go in several statements of the same transaction.
constexpr size_t kArrayBytesMax = 64 << 20;

PgCall Execute(const PgPreparedStatement& statement, std::string what,
               std::vector<std::string> params) {
  PgCall call;
  call.kind = PgCall::Kind::kExecutePrepared;
  call.name = statement.name;
  call.what = std::move(what);
  call.params = std::move(params);
  return call;
}

PgCall Sql(const char* sql, std::string what) {
  PgCall call;
  call.kind = PgCall::Kind::kExecuteSql;
  call.sql = sql;
  call.what = std::move(what);
  return call;
}

std::string IdArray(std::span<const JobId> ids) {
  PgBinaryArray array(kPgByteaOid);
  for (const JobId& id : ids) {
    array.AddBytes(id.Bytes());
  }
  return array.Finish();
}

// Positions of `items` to write: the last of each key (ON CONFLICT DO
// UPDATE may touch a row only once per statement), in their order.
template <typename Item, typename KeyOf>
std::vector<size_t> LastOfEachKey(std::span<const Item> items, KeyOf key_of) {
  using Key = std::decay_t<decltype(key_of(items[0]))>;
  absl::flat_hash_map<Key, size_t> last;
  last.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    last[key_of(items[i])] = i;
  }
  std::vector<size_t> kept;
  kept.reserve(last.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (last.at(key_of(items[i])) == i) {
      kept.push_back(i);
    }
  }
  return kept;
}

// Appends `message` serialized in place to `array`.
bool AddMessage(const google::protobuf::MessageLite& message, PgBinaryArray* array) {
  const size_t size = message.ByteSizeLong();
  return message.SerializeToArray(array->AddUninitialized(size), static_cast<int>(size));
}

class JobColumns {
 public:
  bool empty() const { return ids_.size() == 0; }
  size_t bytes() const { return records_.bytes() + ids_.bytes() + queues_.bytes(); }

  bool Add(const core::Job& job) {
    ids_.AddBytes(job.id.Bytes());
    states_.AddInt32(static_cast<int32_t>(job.state));
    queues_.AddBytes(job.spec.queue());
    return AddMessage(ToRecord(job), &records_);
  }

  // The four arrays; the columns are empty afterwards.
  std::vector<std::string> Params() {
    return {ids_.Finish(), states_.Finish(), queues_.Finish(), records_.Finish()};
  }

 private:
  PgBinaryArray ids_{kPgByteaOid};
  PgBinaryArray states_{kPgInt4Oid};
  PgBinaryArray queues_{kPgTextOid};
  PgBinaryArray records_{kPgByteaOid};
};

absl::Status EncodeJobs(const std::string& name, std::span<const core::Job* const> changed,
                        std::vector<PgCall>* calls) {
  JobColumns columns;
  for (size_t i : LastOfEachKey(changed, [](const core::Job* job) { return job->id; })) {
    const core::Job& job = *changed[i];
    if (!columns.Add(job)) {
      return absl::InternalError(absl::StrCat(name, ": cannot serialize job ", job.id.ToString()));
    }
    if (columns.bytes() >= kArrayBytesMax) {
      calls->push_back(Execute(kPgUpsertJobs, "cannot write the jobs", columns.Params()));
    }
  }
  if (!columns.empty()) {
    calls->push_back(Execute(kPgUpsertJobs, "cannot write the jobs", columns.Params()));
  }
  return absl::OkStatus();
}

void EncodeSentinels(const CommitBatch& batch, std::vector<PgCall>* calls) {
  if (!batch.sentinels_added.empty()) {
    PgBinaryArray ids(kPgByteaOid);
    PgBinaryArray queues(kPgTextOid);
    for (size_t i : LastOfEachKey(batch.sentinels_added,
                                  [](const core::SentinelMark& mark) { return mark.id; })) {
      ids.AddBytes(batch.sentinels_added[i].id.Bytes());
      queues.AddBytes(batch.sentinels_added[i].queue);
    }
    calls->push_back(
        Execute(kPgUpsertSentinels, "cannot write the sentinels", {ids.Finish(), queues.Finish()}));
  }
  if (!batch.sentinels_removed.empty()) {
    calls->push_back(Execute(kPgEraseSentinels, "cannot erase the sentinels",
                             {IdArray(batch.sentinels_removed)}));
  }
}

absl::Status EncodeSchedules(const std::string& name, const CommitBatch& batch,
                             std::vector<PgCall>* calls) {
  if (!batch.schedules_erased.empty()) {
    PgBinaryArray names(kPgTextOid);
    for (const std::string& schedule : batch.schedules_erased) {
      names.AddBytes(schedule);
    }
    calls->push_back(Execute(kPgEraseSchedules, "cannot erase the schedules", {names.Finish()}));
  }
  if (!batch.schedules_changed.empty()) {
    PgBinaryArray names(kPgTextOid);
    PgBinaryArray records(kPgByteaOid);
    for (size_t i : LastOfEachKey(batch.schedules_changed, [](const ScheduleRecord& schedule) {
           return schedule.spec().name();
         })) {
      const ScheduleRecord& schedule = batch.schedules_changed[i];
      names.AddBytes(schedule.spec().name());
      if (!AddMessage(schedule, &records)) {
        return absl::InternalError(
            absl::StrCat(name, ": cannot serialize schedule ", schedule.spec().name()));
      }
    }
    calls->push_back(Execute(kPgUpsertSchedules, "cannot write the schedules",
                             {names.Finish(), records.Finish()}));
  }
  return absl::OkStatus();
}

void EncodeLimits(std::span<const core::LimitRecord> limits, std::vector<PgCall>* calls) {
  for (const core::LimitRecord& limit : limits) {
    if (limit.cleared) {
      calls->push_back(Execute(kPgEraseLimit, "cannot erase a limit", {limit.queue, limit.task}));
    } else {
      calls->push_back(Execute(
          kPgUpsertLimit, "cannot write a limit",
          {limit.queue, limit.task, PgInt64(limit.rate.count), PgInt64(limit.rate.period_ms),
           PgInt64(limit.burst), PgInt64(limit.concurrency)}));
    }
  }
}

absl::Status EncodeWorkflows(const std::string& name, const CommitBatch& batch,
                             std::vector<PgCall>* calls) {
  if (!batch.workflows_erased.empty()) {
    calls->push_back(Execute(kPgEraseWorkflows, "cannot erase the workflows",
                             {IdArray(batch.workflows_erased)}));
  }
  if (!batch.workflows_changed.empty()) {
    PgBinaryArray ids(kPgByteaOid);
    PgBinaryArray records(kPgByteaOid);
    for (size_t i : LastOfEachKey(batch.workflows_changed,
                                  [](const WorkflowRecord& workflow) { return workflow.id(); })) {
      const WorkflowRecord& workflow = batch.workflows_changed[i];
      ids.AddBytes(workflow.id());
      if (!AddMessage(workflow, &records)) {
        return absl::InternalError(absl::StrCat(name, ": cannot serialize a workflow"));
      }
    }
    calls->push_back(Execute(kPgUpsertWorkflows, "cannot write the workflows",
                             {ids.Finish(), records.Finish()}));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PgCall>> PostgresStore::Encode(const CommitBatch& batch,
                                                          int64_t epoch) const {
  std::vector<PgCall> calls;
  calls.push_back(Sql("BEGIN", "cannot begin a transaction"));
  if (epoch != 0) {
    calls.push_back(Execute(kPgFence, "the leadership check failed", {PgInt64(epoch)}));
  }
  JOBQ_RETURN_IF_ERROR(EncodeJobs(name_, batch.changed, &calls));
  if (!batch.erased.empty()) {
    calls.push_back(Execute(kPgEraseJobs, "cannot erase the jobs", {IdArray(batch.erased)}));
  }
  EncodeSentinels(batch, &calls);
  JOBQ_RETURN_IF_ERROR(EncodeSchedules(name_, batch, &calls));
  EncodeLimits(batch.limits, &calls);
  JOBQ_RETURN_IF_ERROR(EncodeWorkflows(name_, batch, &calls));
  calls.push_back(Sql("COMMIT", "cannot commit"));
  return calls;
}

}  // namespace jobq::broker::store
