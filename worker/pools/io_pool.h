#pragma once
// IoPool: the worker's I/O pool (DESIGN §7) — a JobPool that runs each job
// with RunJob() on a ThreadPool thread. Sized for tasks that mostly wait
// (network, disk, sleep), so by default 2 × cores threads.
//
// Timeouts: a job with timeout_ms > 0 must be done that long after
// Submit(). At that deadline the pool sets the job's cancellation token and
// reports it as error "timeout" — at the deadline, whether or not the task
// heeds its token, and even if it is still waiting for a thread. The result
// is reported exactly once: a task that returns after its deadline has its
// outcome dropped. Its thread stays busy until the task really returns, so
// the pool never runs more threads than it has; a job that times out while
// still queued is not started.
//
// Thread-safety: as JobPool. The registry must outlive the pool.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "worker/pools/deadline_watcher.h"
#include "worker/pools/job_pool.h"
#include "worker/pools/thread_pool.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

class IoPool final : public JobPool {
 public:
  // `threads` >= 1 run jobs; up to `queue_max` more may wait for a thread.
  // The broker sends no more jobs than free slots (credits), so the queue
  // bound only guards against a broker that overruns them. `prefetch` slots
  // beyond the threads let jobs wait here, so that short jobs do not leave
  // threads idle for a round trip to the broker.
  IoPool(const TaskRegistry& registry, uint32_t threads, size_t queue_max, uint32_t prefetch = 0);
  ~IoPool() override;  // Stop()

  TaskKind kind() const override { return TaskKind::kIo; }
  uint32_t capacity() const override { return threads_.thread_count() + prefetch_; }
  bool Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
              Completion done) override;
  // Also waits for tasks that outlived their deadline to return.
  void Stop() override;

 private:
  struct Run;

  const TaskRegistry& registry_;
  const uint32_t prefetch_;
  // Declared before the threads, so that it is still there while they stop.
  DeadlineWatcher deadlines_;
  ThreadPool threads_;
};

}  // namespace jobq::worker
