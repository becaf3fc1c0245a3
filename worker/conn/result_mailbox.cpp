#include "worker/conn/result_mailbox.h"

namespace jobq::worker {

void ResultMailbox::Post(wire::JobResult result) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = results_.empty() && progress_.empty();
    results_.push_back(std::move(result));
  }
  // One wake-up per batch, not per result: a non-empty mailbox has been
  // notified already and TakeAll() takes everything in it.
  if (was_empty) {
    wake_.Notify();
  }
}

void ResultMailbox::PostProgress(wire::ProgressReport report) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = results_.empty() && progress_.empty();
    auto [it, added] =
        progress_index_.try_emplace({report.id(), report.attempt()}, progress_.size());
    if (added) {
      progress_.push_back(std::move(report));
    } else {
      progress_[it->second] = std::move(report);
    }
  }
  if (was_empty) {
    wake_.Notify();
  }
}

std::vector<wire::JobResult> ResultMailbox::TakeAll(std::vector<wire::ProgressReport>* progress) {
  // Drain before taking: a Post() that lands after the swap notifies again,
  // so its result is picked up on the next wake-up instead of being stranded.
  wake_.Drain();
  std::vector<wire::JobResult> taken;
  std::lock_guard<std::mutex> lock(mutex_);
  taken.swap(results_);
  if (progress != nullptr) {
    for (wire::ProgressReport& report : progress_) {
      progress->push_back(std::move(report));
    }
    progress_.clear();
    progress_index_.clear();
  }
  return taken;
}

}  // namespace jobq::worker
