#pragma once
// IoPool: the worker's I/O pool (DESIGN §7) — a JobPool that runs each job
// with RunJob() on a ThreadPool thread. Sized for tasks that mostly wait
// (network, disk, sleep), so by default 2 × cores threads.
//
// Thread-safety: as JobPool. The registry must outlive the pool.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "worker/pools/job_pool.h"
#include "worker/pools/thread_pool.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

class IoPool final : public JobPool {
 public:
  // `threads` >= 1 run jobs; up to `queue_max` more may wait for a thread.
  // The broker sends no more jobs than free slots (credits), so the queue
  // bound only guards against a broker that overruns them.
  IoPool(const TaskRegistry& registry, uint32_t threads, size_t queue_max);

  TaskKind kind() const override { return TaskKind::kIo; }
  uint32_t capacity() const override { return threads_.thread_count(); }
  bool Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
              Completion done) override;
  void Stop() override { threads_.Stop(); }

 private:
  const TaskRegistry& registry_;
  ThreadPool threads_;
};

}  // namespace jobq::worker
