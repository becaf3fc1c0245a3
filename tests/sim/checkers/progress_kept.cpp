#include "tests/sim/checkers/progress_kept.h"

#include "common/progress_limits.h"

namespace jobq::testing {
namespace {

using broker::core::Job;
using broker::core::JobProgress;

std::string Describe(const JobProgress& progress) {
  if (progress.empty()) {
    return "none";
  }
  return "attempt " + std::to_string(progress.attempt) + " " + std::to_string(progress.done) + "/" +
         std::to_string(progress.total) + " '" + progress.message + "' at " +
         std::to_string(progress.reported_ms);
}

bool WellFormed(const wire::ProgressReport& report) {
  return report.id().size() == JobId::kSize && report.attempt() != 0 &&
         (report.total() == 0 || report.done() <= report.total()) &&
         report.message().size() <= kProgressMessageBytesMax;
}

}  // namespace

ProgressKept::Before ProgressKept::BeforeProgress(const std::string& sender,
                                                  const std::string& body,
                                                  const broker::core::BrokerCore& core) const {
  Before before;
  before.sender = sender;
  if (!before.progress.ParseFromString(body)) {
    before.progress.Clear();
    return before;
  }
  for (const wire::ProgressReport& report : before.progress.reports()) {
    std::optional<JobId> id = JobId::FromBytes(report.id());
    if (!id) {
      continue;
    }
    if (const Job* job = core.FindJob(*id); job != nullptr) {
      Job copy;
      copy.state = job->state;
      copy.attempt = job->attempt;
      copy.leased_to = job->leased_to;
      copy.progress = job->progress;
      before.jobs.emplace(*id, std::move(copy));
    }
  }
  return before;
}

void ProgressKept::AfterProgress(const Before& before, const broker::core::BrokerCore& core,
                                 TimeMs now_ms, Coverage& coverage) {
  for (const auto& [id, was] : before.jobs) {
    const Job* job = core.FindJob(id);
    if (job == nullptr || job->progress == was.progress) {
      continue;
    }
    if (job->progress.empty() && job->attempt > was.attempt) {
      continue;  // the step's tick dispatched it again, which clears its report
    }
    // Only a running job, leased to the sender, takes a report, and only
    // of its attempt: the last such report of the message.
    std::optional<JobProgress> expected;
    for (const wire::ProgressReport& report : before.progress.reports()) {
      if (WellFormed(report) && JobId::FromBytes(report.id()) == id &&
          was.state == wire::JOB_STATE_RUNNING && was.leased_to == before.sender &&
          was.attempt == report.attempt()) {
        expected =
            JobProgress{report.attempt(), report.done(), report.total(), report.message(), now_ms};
      }
    }
    SIM_EXPECT(expected.has_value() && *expected == job->progress,
               "job " + Hex(id) + " (" + wire::JobState_Name(was.state) + " at attempt " +
                   std::to_string(was.attempt) + ", leased to '" + was.leased_to +
                   "') keeps report " + Describe(job->progress) + " after a PROGRESS from " +
                   before.sender + "; the rules allow " +
                   (expected ? Describe(*expected) : std::string("no change")));
    accepted_[id] = job->progress;
    ++coverage.progress_accepted;
  }
}

void ProgressKept::CheckFinishedJob(const Job& job, const char* where) const {
  auto found = accepted_.find(job.id);
  const JobProgress accepted = found != accepted_.end() ? found->second : JobProgress();
  // The last accepted report, or none when a later dispatch cleared it.
  const bool kept = job.progress.empty() ? accepted.empty() || accepted.attempt < job.attempt
                                         : job.progress == accepted;
  SIM_EXPECT(kept, std::string(where) + ": finished job " + Hex(job.id) + " at attempt " +
                       std::to_string(job.attempt) + " keeps report " + Describe(job.progress) +
                       ", the last accepted was " + Describe(accepted));
}

void ProgressKept::CheckFinished(const broker::core::BrokerCore& core) const {
  for (const auto& [id, accepted] : accepted_) {
    if (const Job* job = core.FindJob(id); job != nullptr && broker::core::IsTerminal(job->state)) {
      CheckFinishedJob(*job, "in the core");
    }
  }
}

void ProgressKept::CheckRecovered(const std::vector<Job>& jobs) {
  std::map<JobId, JobProgress> kept;
  for (const Job& job : jobs) {
    if (broker::core::IsTerminal(job.state)) {
      CheckFinishedJob(job, "recovered");
    }
    if (!job.progress.empty()) {
      kept[job.id] = job.progress;
    }
  }
  // An unfinished job's report was never written until it finished: the
  // store's (older, or none) is what the new broker starts from.
  accepted_ = std::move(kept);
}

}  // namespace jobq::testing
