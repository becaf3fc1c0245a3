#pragma once
// ToRecord / FromRecord: a core::Job to and from the jobq.store.JobRecord the
// durable stores persist (proto/jobq/store.proto). Pure functions; the
// watchers are not persisted (they are connections of one broker life), so
// FromRecord(ToRecord(job)) is `job` with no watchers.

#include "broker/core/job.h"
#include "jobq/store.pb.h"

namespace jobq::broker::store {

// The generated message lives in jobq::store (package jobq.store).
using JobRecord = ::jobq::store::JobRecord;

JobRecord ToRecord(const core::Job& job);

// A record whose id is not 16 bytes gives a job with the zero id: callers
// that read untrusted records check `record.id().size() == JobId::kSize`
// first (SqliteStore::Recover does).
core::Job FromRecord(const JobRecord& record);
// The same, taking the record's strings and messages instead of copying
// them (`record` is left valid, its fields unspecified): for recovery,
// which parses each row into one reused record.
core::Job FromRecord(JobRecord&& record);

}  // namespace jobq::broker::store
