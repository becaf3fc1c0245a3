#include "worker/conn/result_mailbox.h"

namespace jobq::worker {

void ResultMailbox::Post(wire::JobResult result) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = results_.empty();
    results_.push_back(std::move(result));
  }
  // One wake-up per batch, not per result: a non-empty mailbox has been
  // notified already and TakeAll() takes everything in it.
  if (was_empty) {
    wake_.Notify();
  }
}

std::vector<wire::JobResult> ResultMailbox::TakeAll() {
  // Drain before taking: a Post() that lands after the swap notifies again,
  // so its result is picked up on the next wake-up instead of being stranded.
  wake_.Drain();
  std::vector<wire::JobResult> taken;
  std::lock_guard<std::mutex> lock(mutex_);
  taken.swap(results_);
  return taken;
}

}  // namespace jobq::worker
