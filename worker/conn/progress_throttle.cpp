#include "worker/conn/progress_throttle.h"

#include <algorithm>
#include <limits>

namespace jobq::worker {

bool ProgressThrottle::Offer(const wire::ProgressReport& report, int64_t now_ms) {
  auto [it, first] = jobs_.try_emplace(Key{report.id(), report.attempt()});
  JobState& job = it->second;
  if (first || now_ms - job.last_sent_ms >= interval_ms_) {
    job.last_sent_ms = now_ms;
    job.held.reset();  // older than this one
    return true;
  }
  job.held = report;
  return false;
}

std::vector<wire::ProgressReport> ProgressThrottle::TakeDue(int64_t now_ms) {
  std::vector<wire::ProgressReport> due;
  for (auto& [key, job] : jobs_) {
    if (job.held.has_value() && now_ms - job.last_sent_ms >= interval_ms_) {
      due.push_back(std::move(*job.held));
      job.held.reset();
      job.last_sent_ms = now_ms;
    }
  }
  return due;
}

std::optional<wire::ProgressReport> ProgressThrottle::Finish(const std::string& id,
                                                             uint32_t attempt) {
  auto it = jobs_.find(Key{id, attempt});
  if (it == jobs_.end()) {
    return std::nullopt;
  }
  std::optional<wire::ProgressReport> held = std::move(it->second.held);
  jobs_.erase(it);
  return held;
}

int64_t ProgressThrottle::NextDueMs() const {
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const auto& [key, job] : jobs_) {
    if (job.held.has_value()) {
      next = std::min(next, job.last_sent_ms + interval_ms_);
    }
  }
  return next;
}

}  // namespace jobq::worker
