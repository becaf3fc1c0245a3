#include "broker/store/job_record.h"

#include <string>

#include "broker/core/spec_limits.h"
#include "common/progress_limits.h"

namespace jobq::broker::store {

JobRecord ToRecord(const core::Job& job) {
  JobRecord record;
  record.set_id(std::string(job.id.Bytes()));
  *record.mutable_spec() = job.spec;
  record.set_state(job.state);
  record.set_attempt(job.attempt);
  record.set_failures(job.failures);
  record.set_lost_leases(job.lost_leases);
  record.set_worker_crashes(job.worker_crashes);
  record.set_cancel_requested(job.cancel_requested);
  record.set_leased_to(job.leased_to);
  record.set_submitted_ms(job.submitted_ms);
  record.set_scheduled_ms(job.scheduled_ms);
  record.set_started_ms(job.started_ms);
  record.set_finished_ms(job.finished_ms);
  record.set_result(job.result);
  record.set_result_content_type(job.result_content_type);
  *record.mutable_error() = job.error;
  if (!job.progress.empty()) {
    ::jobq::store::StoredProgress& progress = *record.mutable_progress();
    progress.set_attempt(job.progress.attempt);
    progress.set_done(job.progress.done);
    progress.set_total(job.progress.total);
    progress.set_message(job.progress.message);
    progress.set_reported_ms(job.progress.reported_ms);
  }
  if (const core::JobLinks* links = job.links.get()) {
    // Children and counts are derived again at restore; only these are kept.
    if (links->workflow) {
      record.set_workflow_id(std::string(links->workflow->Bytes()));
      record.set_node_name(links->node);
    }
    record.set_inputs(links->inputs);
  }
  return record;
}

core::Job FromRecord(const JobRecord& record) { return FromRecord(JobRecord(record)); }

core::Job FromRecord(JobRecord&& record) {
  core::Job job;
  job.id = JobId::FromBytes(record.id()).value_or(JobId());
  // Moved, not copied: recovery builds millions of jobs, and the copies of
  // their specs and results were a fifth of its time.
  job.spec = std::move(*record.mutable_spec());
  job.state = record.state();
  job.attempt = record.attempt();
  job.failures = record.failures();
  job.lost_leases = record.lost_leases();
  job.worker_crashes = record.worker_crashes();
  job.cancel_requested = record.cancel_requested();
  job.leased_to = std::move(*record.mutable_leased_to());
  job.submitted_ms = record.submitted_ms();
  job.scheduled_ms = record.scheduled_ms();
  job.started_ms = record.started_ms();
  job.finished_ms = record.finished_ms();
  job.result = std::move(*record.mutable_result());
  job.result_content_type = std::move(*record.mutable_result_content_type());
  job.error = std::move(*record.mutable_error());
  // A damaged record must not give the core a report it would refuse (one
  // beyond its bounds, or of a later attempt than the job's).
  if (const auto& progress = record.progress();
      progress.attempt() != 0 && progress.attempt() <= job.attempt &&
      (job.state != wire::JOB_STATE_RUNNING || progress.attempt() == job.attempt) &&
      progress.message().size() <= kProgressMessageBytesMax &&
      (progress.total() == 0 || progress.done() <= progress.total())) {
    job.progress.attempt = progress.attempt();
    job.progress.done = progress.done();
    job.progress.total = progress.total();
    job.progress.message = progress.message();
    job.progress.reported_ms = core::ClampStoredTime(progress.reported_ms());
  }
  std::optional<JobId> workflow = JobId::FromBytes(record.workflow_id());
  if (workflow || !record.inputs().empty() || job.spec.after_size() > 0) {
    core::JobLinks& links = job.links.Make();
    if (workflow) {
      links.workflow = workflow;
      links.node = std::move(*record.mutable_node_name());
    }
    links.inputs = std::move(*record.mutable_inputs());
  }
  // Written before submits were checked for these bounds, or damaged: the
  // core adds these times up, and must not overflow doing so.
  core::ClampSpecTimes(&job.spec);
  for (TimeMs* time : {&job.submitted_ms, &job.scheduled_ms, &job.started_ms, &job.finished_ms}) {
    *time = core::ClampStoredTime(*time);
  }
  return job;
}

}  // namespace jobq::broker::store
