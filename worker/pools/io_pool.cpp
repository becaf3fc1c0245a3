#include "worker/pools/io_pool.h"

#include "common/check.h"
#include "worker/tasks/run_job.h"

namespace jobq::worker {

IoPool::IoPool(const TaskRegistry& registry, uint32_t threads, size_t queue_max)
    : registry_(registry), threads_("io", threads, queue_max) {}

bool IoPool::Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
                    Completion done) {
  JOBQ_CHECK(cancel != nullptr && done) << "every job has a token and a completion";
  // std::function needs a copyable closure, so the job travels in a
  // shared_ptr rather than being copied with it.
  auto shared_job = std::make_shared<const wire::DispatchedJob>(std::move(job));
  return threads_.TrySubmit([this, shared_job, cancel = std::move(cancel), done = std::move(done)] {
    done(RunJob(registry_, *shared_job, *cancel));
  });
}

}  // namespace jobq::worker
