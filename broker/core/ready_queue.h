#pragma once
// ReadyQueue: the jobs of one named queue that wait for a worker, in dispatch
// order, with the queue's sentinels between them.
//
// Order: higher priority first, FIFO within a priority. A sentinel is a
// barrier: every job pushed after it comes after it, whatever its priority.
// So the queue is a list of epochs (the jobs between two sentinels), each a
// map priority -> FIFO. Push and pop are O(log P) for P distinct priorities.
//
// Entries are ids only; a job cancelled while queued stays here and is
// skipped by the caller when it reaches the head (lazy deletion).
// Not thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>

#include "common/job_id.h"

namespace jobq::broker::core {

class ReadyQueue {
 public:
  enum class HeadKind { kEmpty, kJob, kSentinel };
  struct Head {
    HeadKind kind = HeadKind::kEmpty;
    JobId id;  // the job's, or the sentinel's (sentinels have ids so the store can keep them)
  };

  // Appends behind everything, the last sentinel included.
  void Push(const JobId& id, int32_t priority);
  // Puts a job back at the very front of its priority (a requeue after its
  // worker died: it was accepted before anything still waiting).
  void PushFront(const JobId& id, int32_t priority);
  // A barrier behind everything pushed so far.
  void PushSentinel(const JobId& id);

  Head Peek() const;
  // Removes what Peek() returned. Must not be called on an empty queue.
  void PopHead();

  // Entries, counting lazily deleted ones and excluding sentinels.
  size_t job_entries() const { return job_entries_; }
  size_t sentinels() const;

 private:
  struct Epoch {
    std::map<int32_t, std::deque<JobId>, std::greater<>> by_priority;
    bool closed_by_sentinel = false;
    JobId sentinel_id;  // when closed_by_sentinel
  };
  std::deque<Epoch> epochs_;  // front: oldest
  size_t job_entries_ = 0;
};

}  // namespace jobq::broker::core
