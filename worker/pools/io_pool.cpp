#include "worker/pools/io_pool.h"

#include <atomic>
#include <chrono>
#include <string>

#include "common/check.h"
#include "common/clock.h"
#include "common/job_id.h"
#include "common/log.h"
#include "common/time_limits.h"
#include "worker/tasks/run_job.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {

// One accepted job, shared by the closure on the pool thread and the
// deadline callback; whichever claims `reported` first reports the job.
struct IoPool::Run {
  wire::DispatchedJob job;
  std::shared_ptr<CancellationToken> cancel;
  Completion done;
  ProgressSink progress;
  std::chrono::steady_clock::time_point accepted;
  TimeMs deadline_ms = 0;  // unix ms, for the task's context; 0 = none
  std::atomic<bool> reported{false};
  // The armed deadline; sequence 0 until Submit() has armed it.
  std::atomic<uint64_t> watch_sequence{0};
  DeadlineWatcher::Handle watch;  // written before watch_sequence is published

  bool Claim() { return !reported.exchange(true); }

  int64_t MicrosSinceAccepted() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 accepted)
        .count();
  }
};

IoPool::IoPool(const TaskRegistry& registry, uint32_t threads, size_t queue_max, uint32_t prefetch)
    : registry_(registry), prefetch_(prefetch), threads_("io", threads, queue_max) {}

IoPool::~IoPool() { Stop(); }

bool IoPool::Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
                    Completion done) {
  JOBQ_CHECK(cancel != nullptr && done) << "every job has a token and a completion";
  // std::function needs a copyable closure, so the job travels in a
  // shared_ptr rather than being copied with it.
  auto run = std::make_shared<Run>();
  run->job = std::move(job);
  run->cancel = std::move(cancel);
  run->done = std::move(done);
  run->progress = SinkFor(run->job);
  run->accepted = std::chrono::steady_clock::now();
  // Clamped: a broker's absurd timeout must not overflow the clocks below.
  const int64_t timeout_ms = ClampTimeoutMs(run->job.timeout_ms());
  if (timeout_ms > 0) {
    run->deadline_ms = RealClock().NowMs() + timeout_ms;
  }

  const bool queued = threads_.TrySubmit([this, run] {
    if (run->reported.load()) {
      return;  // timed out while it waited for a thread: not worth starting
    }
    wire::JobResult result =
        RunJob(registry_, run->job, *run->cancel, run->deadline_ms, run->progress);
    if (!run->Claim()) {
      JOBQ_LOG(kDebug, "worker", "late_outcome_dropped")
          .Kv("job", JobIdText(run->job.id()))
          .Kv("task", run->job.task())
          .Kv("ok", result.ok());
      return;
    }
    if (run->watch_sequence.load() != 0) {
      deadlines_.Cancel(run->watch);
    }
    run->done(std::move(result));
  });
  if (!queued || timeout_ms <= 0) {
    return queued;
  }
  // Armed after queueing, so that a refused job has no deadline that could
  // report it behind the caller's back.
  const auto deadline = run->accepted + std::chrono::milliseconds(timeout_ms);
  run->watch = deadlines_.Watch(deadline, [run, timeout_ms] {
    if (!run->Claim()) {
      return;  // it finished first
    }
    run->cancel->Cancel();
    wire::JobResult result =
        ErrorResult(run->job, kErrorTimeout,
                    "task \"" + run->job.task() + "\" did not finish within the job's timeout of " +
                        std::to_string(timeout_ms) + " ms");
    result.set_run_time_us(run->MicrosSinceAccepted());
    run->done(std::move(result));
  });
  run->watch_sequence.store(run->watch.sequence);
  // The job may have finished before the deadline was armed; then nobody
  // else would cancel it, and it would sit in the watcher until it fired.
  if (run->reported.load()) {
    deadlines_.Cancel(run->watch);
  }
  return true;
}

void IoPool::Stop() {
  // The threads first: while they finish the queued jobs, deadlines must
  // still fire.
  threads_.Stop();
  deadlines_.Stop();
}

}  // namespace jobq::worker
