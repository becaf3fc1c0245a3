#pragma once
// InFlightJobs: the jobs this worker has accepted and not yet finished, by
// (job id, attempt), with the pool each runs on and its cancellation token.
// It answers what HELLO lists as held, what HEARTBEAT reports as load, which
// pool a finished job frees a slot in, and whom a CANCEL reaches.
//
// Not thread-safe; the connection thread owns it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "worker/tasks/cancellation_token.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

class InFlightJobs {
 public:
  struct Key {
    std::string id;  // the 16 wire bytes
    uint32_t attempt = 0;
    friend auto operator<=>(const Key&, const Key&) = default;
  };

  // Records a started job. False when that (id, attempt) is already in
  // flight: a duplicated DISPATCH, which must not run twice.
  bool Add(Key key, TaskKind pool, std::shared_ptr<CancellationToken> cancel);

  // Forgets a finished job; returns the pool whose slot it frees, or
  // nullopt when the job was not in flight.
  std::optional<TaskKind> Finish(const Key& key);

  // Cancels every attempt of `id` in flight; returns how many there were.
  size_t Cancel(const std::string& id);
  void CancelAll();

  // The jobs in flight, ordered by (id, attempt).
  std::vector<Key> Keys() const;
  // The pool of a job in flight; nullopt when it is not.
  std::optional<TaskKind> PoolOf(const Key& key) const;
  uint32_t CountFor(TaskKind pool) const;
  size_t size() const { return jobs_.size(); }
  bool empty() const { return jobs_.empty(); }

 private:
  struct Job {
    TaskKind pool;
    std::shared_ptr<CancellationToken> cancel;
  };
  std::map<Key, Job> jobs_;
};

}  // namespace jobq::worker
