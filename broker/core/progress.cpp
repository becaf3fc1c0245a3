// PROGRESS: which reports a running job keeps (docs/protocol.md, PROGRESS).
// A report costs a decode and a lookup and never a store write: the kept
// report reaches the store with the next write of its job, at the latest
// the one that finishes it.

#include <string>

#include "broker/core/broker_core.h"
#include "common/check.h"
#include "common/progress_limits.h"

namespace jobq::broker::core {
namespace {

// Why a report breaks a rule of the spec, or "" when it is well formed.
std::string ProgressReportFault(const wire::ProgressReport& report) {
  if (report.id().size() != JobId::kSize) {
    return "its id is " + std::to_string(report.id().size()) + " bytes, not " +
           std::to_string(JobId::kSize);
  }
  if (report.attempt() == 0) {
    return "its attempt is 0 (send the attempt of the DISPATCH)";
  }
  if (report.total() != 0 && report.done() > report.total()) {
    return "done " + std::to_string(report.done()) + " is above total " +
           std::to_string(report.total());
  }
  if (report.message().size() > kProgressMessageBytesMax) {
    return "its message is " + std::to_string(report.message().size()) + " bytes, more than " +
           std::to_string(kProgressMessageBytesMax);
  }
  return "";
}

}  // namespace

void BrokerCore::Progress(WorkerInfo& worker, const wire::Progress& progress, TimeMs now_ms,
                          Effects* effects) {
  if (progress.reports_size() > kProgressReportsMax) {
    ++counters_.bad_messages;
    effects->SendError(Socket::kBackend, worker.routing_id, wire::ERROR_CODE_TOO_LARGE,
                       "PROGRESS carries " + std::to_string(progress.reports_size()) +
                           " reports, more than " + std::to_string(kProgressReportsMax) +
                           "; send them in several messages");
    return;
  }
  std::string first_fault;
  for (int i = 0; i < progress.reports_size(); ++i) {
    const wire::ProgressReport& report = progress.reports(i);
    if (std::string fault = ProgressReportFault(report); !fault.empty()) {
      ++counters_.progress_refused;
      if (first_fault.empty()) {
        first_fault = "PROGRESS report " + std::to_string(i) + " refused: " + fault;
      }
      continue;
    }
    auto found = jobs_.find(*JobId::FromBytes(report.id()));
    // Anything but the lease holder's current attempt crossed a CANCEL, a
    // lease loss or its own RESULT: late, not wrong.
    if (found == jobs_.end() || found->second.state != wire::JOB_STATE_RUNNING ||
        found->second.leased_to != worker.routing_id || found->second.attempt != report.attempt()) {
      ++counters_.progress_late;
      continue;
    }
    JobProgress& kept = found->second.progress;
    kept.attempt = report.attempt();
    kept.done = report.done();
    kept.total = report.total();
    kept.message = report.message();
    kept.reported_ms = now_ms;
    ++counters_.progress_accepted;
  }
  if (!first_fault.empty()) {
    effects->SendError(Socket::kBackend, worker.routing_id, wire::ERROR_CODE_BAD_BODY,
                       std::move(first_fault));
  }
}

void BrokerCore::CheckProgressInvariants() const {
  for (const auto& [id, job] : jobs_) {
    const JobProgress& progress = job.progress;
    if (progress.empty()) {
      continue;
    }
    // Never of an attempt other than the current one, or once it stopped
    // running, the last one: a dispatch clears it.
    JOBQ_CHECK(progress.attempt <= job.attempt) << "kept progress is of a past attempt";
    if (job.state == wire::JOB_STATE_RUNNING) {
      JOBQ_CHECK(progress.attempt == job.attempt) << "a running job's progress is of its attempt";
    }
    JOBQ_CHECK(progress.total == 0 || progress.done <= progress.total)
        << "kept progress has done <= total";
    JOBQ_CHECK(progress.message.size() <= kProgressMessageBytesMax)
        << "kept progress message within its bound";
  }
}

}  // namespace jobq::broker::core
