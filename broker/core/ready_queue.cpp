#include "broker/core/ready_queue.h"

#include "common/check.h"

namespace jobq::broker::core {

void ReadyQueue::Push(const JobId& id, int32_t priority) {
  if (epochs_.empty() || epochs_.back().closed_by_sentinel) {
    epochs_.emplace_back();
  }
  epochs_.back().by_priority[priority].push_back(id);
  ++job_entries_;
}

void ReadyQueue::PushFront(const JobId& id, int32_t priority) {
  if (epochs_.empty()) {
    epochs_.emplace_back();
  }
  epochs_.front().by_priority[priority].push_front(id);
  ++job_entries_;
}

void ReadyQueue::PushSentinel(const JobId& id) {
  if (epochs_.empty() || epochs_.back().closed_by_sentinel) {
    epochs_.emplace_back();
  }
  epochs_.back().closed_by_sentinel = true;
  epochs_.back().sentinel_id = id;
}

ReadyQueue::Head ReadyQueue::Peek() const {
  if (epochs_.empty()) {
    return {};
  }
  const Epoch& front = epochs_.front();
  if (!front.by_priority.empty()) {
    return {HeadKind::kJob, front.by_priority.begin()->second.front()};
  }
  if (front.closed_by_sentinel) {
    return {HeadKind::kSentinel, front.sentinel_id};
  }
  return {};
}

void ReadyQueue::PopHead() {
  JOBQ_CHECK(!epochs_.empty()) << "PopHead on an empty queue";
  Epoch& front = epochs_.front();
  if (!front.by_priority.empty()) {
    auto level = front.by_priority.begin();
    level->second.pop_front();
    --job_entries_;
    if (level->second.empty()) {
      front.by_priority.erase(level);
    }
  } else {
    JOBQ_CHECK(front.closed_by_sentinel) << "an empty open epoch is never left at the front";
    front.closed_by_sentinel = false;
  }
  // An open, empty epoch is only kept when it is the last one (new jobs go there).
  if (front.by_priority.empty() && !front.closed_by_sentinel) {
    epochs_.pop_front();
  }
}

size_t ReadyQueue::sentinels() const {
  size_t count = 0;
  for (const Epoch& epoch : epochs_) {
    count += epoch.closed_by_sentinel ? 1 : 0;
  }
  return count;
}

}  // namespace jobq::broker::core
