#pragma once
// JobIndex: the kept jobs' ids by state, by (queue, state) and by task, each
// in id (= submit) order, so that an admin page (`jobq jobs --state dead`,
// ListJobs, PurgeQueue) costs O(page + log n) instead of a walk over every
// job on the loop thread. Also the one count of jobs per queue and state:
// the queue depths of `jobq status`, the --queue-max check and the figures
// all read it.
//
// BrokerCore keeps it in step through BrokerCore::Transition, Admit and
// Forget, and nowhere else. Not thread-safe.

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "broker/core/job.h"
#include "common/check.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::core {

// Which jobs a listing wants. Unset fields match everything.
struct JobFilter {
  wire::JobState state = wire::JOB_STATE_UNSPECIFIED;
  std::string queue;
  std::string task;
  std::optional<JobId> after;  // paging: only ids after this one
  size_t limit = 100;
};

class JobIndex {
 public:
  using IdSet = absl::btree_set<JobId>;
  // JobState values are 0 (unspecified) to 7 (cancelled).
  static constexpr size_t kStates = wire::JobState_ARRAYSIZE;

  // `job` enters under its current state, or leaves from it.
  void Add(const Job& job);
  void Remove(const Job& job);
  // From job.state to `to`: call it before the job's state field changes.
  void Move(const Job& job, wire::JobState to);

  size_t Count(const std::string& queue, wire::JobState state) const;
  // Queued + scheduled.
  size_t Waiting(const std::string& queue) const;
  size_t size() const { return size_; }

  // Ids that may match `filter`, in id order after filter.after. Without a
  // task, exactly the jobs of its state and queue; with one, whichever of
  // the task's set or the state-and-queue sets is smaller, so a superset:
  // the caller checks every condition.
  // `visit` returns false to stop. Visits at most `examine_max` ids.
  // Returns the last id visited.
  template <typename Visit>
  std::optional<JobId> Candidates(const JobFilter& filter, size_t examine_max, Visit visit) const;

  // Aborts unless the index holds exactly `jobs` (CheckInvariants).
  template <typename JobMap>
  void CheckAgainst(const JobMap& jobs) const;

 private:
  struct QueueSets {
    std::array<IdSet, kStates> by_state;
  };
  const IdSet& ByState(wire::JobState state) const { return by_state_[state]; }
  const IdSet* ByQueueState(const std::string& queue, wire::JobState state) const;
  const IdSet* ByTask(const std::string& task) const;
  // The sets whose union is exactly what `filter` asks for by state and
  // queue; `task` then picks the task set when it is smaller.
  std::vector<const IdSet*> Sources(const JobFilter& filter) const;

  std::array<IdSet, kStates> by_state_;
  std::map<std::string, QueueSets, std::less<>> by_queue_;
  std::map<std::string, IdSet, std::less<>> by_task_;
  size_t size_ = 0;
};

template <typename Visit>
std::optional<JobId> JobIndex::Candidates(const JobFilter& filter, size_t examine_max,
                                          Visit visit) const {
  // A k-way merge (k is at most kStates) of the chosen sets from `after`.
  struct Cursor {
    IdSet::const_iterator at;
    IdSet::const_iterator end;
  };
  std::vector<Cursor> cursors;
  for (const IdSet* set : Sources(filter)) {
    auto begin = filter.after ? set->upper_bound(*filter.after) : set->begin();
    if (begin != set->end()) {
      cursors.push_back({begin, set->end()});
    }
  }
  std::optional<JobId> last;
  for (size_t examined = 0; examined < examine_max && !cursors.empty(); ++examined) {
    size_t lowest = 0;
    for (size_t i = 1; i < cursors.size(); ++i) {
      if (*cursors[i].at < *cursors[lowest].at) {
        lowest = i;
      }
    }
    last = *cursors[lowest].at;
    if (++cursors[lowest].at == cursors[lowest].end) {
      cursors.erase(cursors.begin() + static_cast<std::ptrdiff_t>(lowest));
    }
    if (!visit(*last)) {
      break;
    }
  }
  return last;
}

template <typename JobMap>
void JobIndex::CheckAgainst(const JobMap& jobs) const {
  JOBQ_CHECK(size_ == jobs.size()) << "the index holds every kept job once";
  size_t in_states = 0;
  for (const IdSet& set : by_state_) {
    in_states += set.size();
  }
  JOBQ_CHECK(in_states == jobs.size()) << "each job is under one state";
  size_t in_queues = 0;
  for (const auto& [name, sets] : by_queue_) {
    for (const IdSet& set : sets.by_state) {
      in_queues += set.size();
    }
  }
  JOBQ_CHECK(in_queues == jobs.size()) << "each job is under one queue";
  size_t in_tasks = 0;
  for (const auto& [name, set] : by_task_) {
    JOBQ_CHECK(!set.empty()) << "no empty task set is kept";
    in_tasks += set.size();
  }
  JOBQ_CHECK(in_tasks == jobs.size()) << "each job is under one task";
  for (const auto& [id, job] : jobs) {
    JOBQ_CHECK(ByState(job.state).count(id) == 1) << "job " << id.ToString() << " under its state";
    const IdSet* queue = ByQueueState(job.spec.queue(), job.state);
    JOBQ_CHECK(queue != nullptr && queue->count(id) == 1)
        << "job " << id.ToString() << " under its queue and state";
    const IdSet* task = ByTask(job.spec.task());
    JOBQ_CHECK(task != nullptr && task->count(id) == 1)
        << "job " << id.ToString() << " under its task";
  }
}

}  // namespace jobq::broker::core
