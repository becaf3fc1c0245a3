#pragma once
// JobPool: where the connection hands a dispatched job to be run — the I/O
// thread pool (IoPool) or the CPU process pool (ProcessPool), DESIGN §7.
// The interface is in terms of whole jobs, not closures, so that
// ProcessPool can ship the DispatchedJob to a child process over its
// socketpair.
//
// Thread-safety: Submit() and Stop() are called from one thread (the
// connection's). Completions run on the pool's own threads.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "jobq/wire.pb.h"
#include "worker/tasks/cancellation_token.h"
#include "worker/tasks/task_context.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

class JobPool {
 public:
  // Receives the job's result. Called exactly once per accepted job, on a
  // pool thread; it must be thread-safe, quick, and must not throw.
  using Completion = std::function<void(wire::JobResult)>;
  // Receives the progress reports of the pool's jobs (id and attempt set),
  // on a pool thread; thread-safe, quick, must not throw.
  using ProgressPost = std::function<void(wire::ProgressReport)>;

  virtual ~JobPool() = default;

  // Which jobs this pool is for, and how many it runs at once (the number
  // of slots the worker offers the broker for this kind).
  virtual TaskKind kind() const = 0;
  virtual uint32_t capacity() const = 0;

  // Queues `job` to run; `cancel` is its cancellation token. False when the
  // pool refuses it (its queue is at its bound, or it is stopping): then
  // `done` is never called and the caller answers for the job.
  virtual bool Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
                      Completion done) = 0;

  // Where the reports of jobs submitted from now on go; none by default.
  // Call before the first Submit(), from the thread that submits.
  void SetProgressPost(ProgressPost post) { progress_post_ = std::move(post); }

  // Stops taking jobs, lets the queued ones finish, and waits until every
  // thread (or child) has ended. Idempotent.
  virtual void Stop() = 0;

 protected:
  // The report of `job`'s task, for progress_post_; an empty sink when
  // there is nowhere to post.
  ProgressSink SinkFor(const wire::DispatchedJob& job) const {
    if (!progress_post_) {
      return nullptr;
    }
    return [post = progress_post_, id = job.id(), attempt = job.attempt()](
               uint64_t done, uint64_t total, std::string message) {
      wire::ProgressReport report;
      report.set_id(id);
      report.set_attempt(attempt);
      report.set_done(done);
      report.set_total(total);
      report.set_message(std::move(message));
      post(std::move(report));
    };
  }
  ProgressPost progress_post_;
};

}  // namespace jobq::worker
