#pragma once
// Jobs to commit in the store tests, and checks that a store gave them
// back: shared by the contract suite (store_contract_test.cpp) and the
// tests of one store.

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "broker/core/limit_record.h"
#include "broker/store/job_record.h"
#include "broker/store/store.h"
#include "common/job_id.h"

namespace jobq::broker::store {

inline absl::Status CommitJobs(Store& store, const std::vector<const core::Job*>& changed,
                               const std::vector<JobId>& erased) {
  return store.Commit(CommitBatch{changed, erased, {}, {}});
}

inline absl::StatusOr<std::vector<core::Job>> RecoverJobs(Store& store) {
  absl::StatusOr<Recovered> recovered = store.Recover();
  if (!recovered.ok()) {
    return recovered.status();
  }
  return std::move(recovered->jobs);
}

// Equal in everything persisted (everything but watchers).
inline void ExpectSameJob(const core::Job& actual, const core::Job& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(ToRecord(actual), ToRecord(expected)))
      << "actual:\n"
      << ToRecord(actual).DebugString() << "expected:\n"
      << ToRecord(expected).DebugString();
  EXPECT_TRUE(actual.watchers.empty());
}

inline std::map<JobId, core::Job> ById(std::vector<core::Job> jobs) {
  std::map<JobId, core::Job> by_id;
  for (core::Job& job : jobs) {
    JobId id = job.id;
    EXPECT_TRUE(by_id.emplace(id, std::move(job)).second) << "duplicate " << id.ToString();
  }
  return by_id;
}

// Makes jobs with increasing ids.
class TestJobs {
 public:
  JobId NextId() { return ids_.Next(1'700'000'000'000 + (++now_)); }

  core::Job SimpleJob(const std::string& task) {
    core::Job job;
    job.id = NextId();
    job.spec.set_queue("default");
    job.spec.set_task(task);
    job.spec.set_content_type("application/json");
    job.submitted_ms = 1'700'000'000'000 + now_;
    return job;
  }

  // A job with every persisted field set to something other than its default.
  core::Job FullJob() {
    core::Job job;
    job.id = NextId();
    job.spec.set_queue("emails");
    job.spec.set_task("send");
    job.spec.set_payload(std::string("a\0b\0\xff\x00z", 7));
    job.spec.set_content_type("application/octet-stream");
    job.spec.set_kind(wire::KIND_CPU);
    job.spec.set_priority(-7);
    job.spec.set_not_before_ms(1'700'000'000'123);
    job.spec.set_timeout_ms(30'000);
    job.spec.set_max_attempts(5);
    job.spec.set_idempotency_key("key-1");
    job.spec.set_result_ttl_ms(86'400'000);
    job.spec.set_sentinel(true);
    job.state = wire::JOB_STATE_FAILED;
    job.attempt = 3;
    job.failures = 2;
    job.lost_leases = 1;
    job.leased_to = std::string("\0\x80\x01worker", 9);  // a ROUTER-made routing id
    job.submitted_ms = 1'700'000'000'001;
    job.started_ms = 1'700'000'000'002;
    job.finished_ms = 1'700'000'000'003;
    job.result = std::string("r\0e\0s", 5);
    job.result_content_type = "application/x-bin";
    job.error.set_type("exception");
    job.error.set_message("boom");
    job.error.set_detail("Traceback...\n  line 1");
    job.watchers = {"client-a", "client-b"};
    return job;
  }

 private:
  JobIdGenerator ids_{42};
  int64_t now_ = 0;
};

// A limit record as the store keeps it: rate count/period_ms, burst and
// concurrency (0: none).
inline core::LimitRecord TestLimit(const std::string& queue, const std::string& task, int64_t count,
                                   int64_t period_ms, int64_t burst, int64_t concurrency) {
  core::LimitRecord record;
  record.queue = queue;
  record.task = task;
  record.rate = {count, period_ms};
  record.burst = burst;
  record.concurrency = concurrency;
  return record;
}

}  // namespace jobq::broker::store
