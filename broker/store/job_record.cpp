#include "broker/store/job_record.h"

#include <string>

namespace jobq::broker::store {

JobRecord ToRecord(const core::Job& job) {
  JobRecord record;
  record.set_id(std::string(job.id.Bytes()));
  *record.mutable_spec() = job.spec;
  record.set_state(job.state);
  record.set_attempt(job.attempt);
  record.set_failures(job.failures);
  record.set_lost_leases(job.lost_leases);
  record.set_leased_to(job.leased_to);
  record.set_submitted_ms(job.submitted_ms);
  record.set_scheduled_ms(job.scheduled_ms);
  record.set_started_ms(job.started_ms);
  record.set_finished_ms(job.finished_ms);
  record.set_result(job.result);
  record.set_result_content_type(job.result_content_type);
  *record.mutable_error() = job.error;
  return record;
}

core::Job FromRecord(const JobRecord& record) {
  core::Job job;
  job.id = JobId::FromBytes(record.id()).value_or(JobId());
  job.spec = record.spec();
  job.state = record.state();
  job.attempt = record.attempt();
  job.failures = record.failures();
  job.lost_leases = record.lost_leases();
  job.leased_to = record.leased_to();
  job.submitted_ms = record.submitted_ms();
  job.scheduled_ms = record.scheduled_ms();
  job.started_ms = record.started_ms();
  job.finished_ms = record.finished_ms();
  job.result = record.result();
  job.result_content_type = record.result_content_type();
  job.error = record.error();
  return job;
}

}  // namespace jobq::broker::store
