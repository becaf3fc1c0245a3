#include "broker/core/job_index.h"

namespace jobq::broker::core {

void JobIndex::Add(const Job& job) {
  by_state_[job.state].insert(job.id);
  by_queue_[job.spec.queue()].by_state[job.state].insert(job.id);
  by_task_[job.spec.task()].insert(job.id);
  ++size_;
}

void JobIndex::Remove(const Job& job) {
  by_state_[job.state].erase(job.id);
  if (auto queue = by_queue_.find(job.spec.queue()); queue != by_queue_.end()) {
    queue->second.by_state[job.state].erase(job.id);
  }
  // Task names come from producers: an emptied set goes, so that they
  // cannot grow the index without bound.
  if (auto task = by_task_.find(job.spec.task()); task != by_task_.end()) {
    task->second.erase(job.id);
    if (task->second.empty()) {
      by_task_.erase(task);
    }
  }
  --size_;
}

void JobIndex::Move(const Job& job, wire::JobState to) {
  if (job.state == to) {
    return;
  }
  by_state_[job.state].erase(job.id);
  by_state_[to].insert(job.id);
  QueueSets& queue = by_queue_[job.spec.queue()];
  queue.by_state[job.state].erase(job.id);
  queue.by_state[to].insert(job.id);
}

size_t JobIndex::Count(const std::string& queue, wire::JobState state) const {
  const IdSet* set = ByQueueState(queue, state);
  return set == nullptr ? 0 : set->size();
}

size_t JobIndex::Waiting(const std::string& queue) const {
  return Count(queue, wire::JOB_STATE_QUEUED) + Count(queue, wire::JOB_STATE_SCHEDULED);
}

const JobIndex::IdSet* JobIndex::ByQueueState(const std::string& queue,
                                              wire::JobState state) const {
  auto found = by_queue_.find(queue);
  return found == by_queue_.end() ? nullptr : &found->second.by_state[state];
}

const JobIndex::IdSet* JobIndex::ByTask(const std::string& task) const {
  auto found = by_task_.find(task);
  return found == by_task_.end() ? nullptr : &found->second;
}

std::vector<const JobIndex::IdSet*> JobIndex::Sources(const JobFilter& filter) const {
  std::vector<const IdSet*> sources;
  const bool any_state = filter.state == wire::JOB_STATE_UNSPECIFIED;
  for (size_t state = 0; state < kStates; ++state) {
    const auto job_state = static_cast<wire::JobState>(state);
    if (!any_state && job_state != filter.state) {
      continue;
    }
    const IdSet* set =
        filter.queue.empty() ? &ByState(job_state) : ByQueueState(filter.queue, job_state);
    if (set != nullptr && !set->empty()) {
      sources.push_back(set);
    }
  }
  if (filter.task.empty()) {
    return sources;
  }
  const IdSet* task = ByTask(filter.task);
  if (task == nullptr) {
    return {};
  }
  size_t by_state_and_queue = 0;
  for (const IdSet* set : sources) {
    by_state_and_queue += set->size();
  }
  // Walk whichever is smaller; the caller checks the other conditions.
  if (task->size() < by_state_and_queue) {
    return {task};
  }
  return sources;
}

}  // namespace jobq::broker::core
