#pragma once
// ProcessPool: the worker's CPU pool (DESIGN §1, §7) — a JobPool that runs
// each job in one of N child processes, one job per child at a time, so
// CPU-bound tasks run in parallel on all cores and a task that crashes
// takes down only its child.
//
// Children are the worker's own executable in child mode
// (worker/child/child_main.h), started with posix_spawn, each talking to
// the pool over a socketpair in the frames of worker/child/child_frames.h.
// One supervisor thread owns them: it hands queued jobs to idle children,
// reads results, kills a child whose job is past its timeout or cancelled,
// reaps every child that ends and starts its replacement, and recycles a
// child (sentinel, then a fresh one) after max_jobs_per_child jobs or when
// its RSS is above max_rss_per_child_bytes after a job.
//
// A job that does not get its result from its child fails with
//   "crashed"    the child ended (signal, exit, broken channel); the message
//                names the signal or the exit code
//   "timeout"    timeout_ms passed; the child was killed (SIGKILL)
//   "cancelled"  its cancellation token was set; the child was killed
// and its Completion is still called exactly once.
//
// Thread-safety: as JobPool (Submit() and Stop() from one thread,
// completions on the supervisor thread); ChildPids() from any thread.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/wake_fd.h"
#include "worker/child/child_process.h"
#include "worker/pools/job_pool.h"
#include "worker/tasks/builtins/exec_task.h"

namespace jobq::worker {

struct ProcessPoolOptions {
  // The jobq-worker executable to run in child mode. The worker's own,
  // through /proc, even if its file was replaced since it started.
  std::string executable = "/proc/self/exe";
  uint32_t children = 1;  // >= 1
  // Jobs the pool accepts beyond one per child: they wait for a child, so
  // a child never idles for a round trip to the broker between short jobs.
  uint32_t prefetch = 0;
  // Jobs that may wait for an idle child (running ones do not count).
  size_t queue_max = 2;                  // >= 1
  uint32_t max_jobs_per_child = 0;       // 0 = no limit
  uint64_t max_rss_per_child_bytes = 0;  // 0 = no limit
  // Loaded by every child after the built-ins, as the worker loaded them.
  std::vector<std::string> plugins;
  LogLevel child_log_level = LogLevel::kInfo;
  // The children's exec output cap (the worker's --exec-output-max).
  uint64_t child_exec_output_max_bytes = kExecOutputMaxBytes;
  // How long a child may take to exit after its sentinel before it is
  // killed.
  uint32_t stop_grace_ms = 5000;
};

class ProcessPool final : public JobPool {
 public:
  // The error type of a job whose child ended under it. ("timeout" and
  // "cancelled" are the tasks' own, in worker/tasks/task_error.h.)
  static constexpr char kErrorCrashed[] = "crashed";

  // Starts the supervisor thread, which starts the children; jobs
  // submitted meanwhile wait for them.
  explicit ProcessPool(ProcessPoolOptions options);
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;
  ~ProcessPool() override;  // Stop()

  TaskKind kind() const override { return TaskKind::kCpu; }
  uint32_t capacity() const override { return options_.children + options_.prefetch; }
  bool Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
              Completion done) override;
  // Refuses new jobs, runs the queued ones, then sends each child its
  // sentinel and reaps it (SIGKILL after stop_grace_ms). Returns when no
  // child and no supervisor thread is left. Jobs still running are waited
  // for (until their timeout, if they have one); cancel their tokens to
  // end them sooner. Idempotent.
  void Stop() override;

  // The children alive now (including ones on their way out), for
  // monitoring. A snapshot: by the time it is read a pid may be gone.
  std::vector<pid_t> ChildPids() const;

 private:
  using Clock = std::chrono::steady_clock;

  struct Queued {
    wire::DispatchedJob job;
    std::shared_ptr<CancellationToken> cancel;
    Completion done;
  };
  // A job handed to a child: what is needed to finish it without the child.
  struct Running {
    std::string id;
    uint32_t attempt = 0;
    std::string task;
    int64_t timeout_ms = 0;
    Clock::time_point started;
    std::optional<Clock::time_point> deadline;
    std::shared_ptr<CancellationToken> cancel;
    Completion done;
  };
  // Why the pool ended a child that was running a job.
  struct Failure {
    std::string type;
    std::string message;
  };
  struct Child {
    child::ChildProcess process;
    bool ready = false;  // said READY: its tasks loaded
    uint32_t jobs_done = 0;
    std::optional<Running> job;
  };
  // A child that was, or may be, taking jobs.
  struct Slot {
    std::optional<Child> child;
    Clock::time_point start_at{};  // when an empty slot may start a child
    uint32_t failed_starts = 0;    // in a row: spawn failures and deaths before READY
  };
  // A child on its way out; reaped by the supervisor.
  struct Exiting {
    child::ChildProcess process;
    bool ready = false;
    std::optional<Running> job;      // failed once the child is reaped
    std::optional<Failure> failure;  // why, if the pool ended it; else it crashed
    Clock::time_point kill_at;       // SIGKILL if it is still alive then
    bool killed = false;
  };

  void Supervise();
  bool Finished();
  void ReapExiting(Clock::time_point now);
  void StartChildren(Clock::time_point now);
  void FailCancelledQueued();
  void Dispatch(Clock::time_point now);
  void Poll(Clock::time_point now);
  void ServeChild(Slot& slot, short revents, Clock::time_point now);
  void HandleFrame(Slot& slot, const child::DecodedChildFrame& frame, Clock::time_point now);
  void AfterJob(Slot& slot, Clock::time_point now);
  void CheckRunning(Clock::time_point now);

  // Moves the slot's child to exiting_. `failure` set: the pool kills it
  // now and its job fails so. Else, `stop`: it was sent its sentinel and
  // gets stop_grace_ms; neither: it ended or broke on its own, and its job
  // fails as crashed once it is reaped.
  void Retire(Slot& slot, std::optional<Failure> failure, bool stop, Clock::time_point now);
  void CompleteFailed(Running job, const std::string& type, const std::string& message);
  void PublishPids();

  const ProcessPoolOptions options_;
  const std::vector<std::string> child_args_;

  mutable std::mutex mutex_;
  std::deque<Queued> queue_;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  std::vector<pid_t> pids_;   // guarded by mutex_; the supervisor's view

  const WakeFd wake_ = WakeFd::CreateOrDie();  // Submit() and Stop() wake the supervisor

  // Owned by the supervisor thread.
  std::vector<Slot> slots_;
  std::vector<Exiting> exiting_;

  std::once_flag stop_once_;
  std::thread supervisor_;
};

}  // namespace jobq::worker
