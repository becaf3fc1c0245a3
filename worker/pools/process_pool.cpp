#include "worker/pools/process_pool.h"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "common/check.h"
#include "common/job_id.h"
#include "common/time_limits.h"
#include "worker/child/child_command_line.h"
#include "worker/child/proc_stat.h"
#include "worker/tasks/run_job.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

using child::ChildFrameType;
using child::DecodedChildFrame;
using child::FrameStatus;

constexpr char kComponent[] = "worker";
// argv[0] of a child, as `ps` shows it.
constexpr char kChildArg0[] = "jobq-worker";
// CancellationToken cannot wake the supervisor, so while jobs run it looks
// at their tokens this often. A CANCEL is rare, and this is its latency.
constexpr int64_t kCancelCheckMs = 20;
// A child that ended its channel usually becomes reapable within
// microseconds; until it is reaped the supervisor checks this often.
constexpr int64_t kReapCheckMs = 5;
// A child whose channel broke but which does not exit gets this long
// before SIGKILL.
constexpr int64_t kBrokenChildGraceMs = 1000;
// Restarting a child that cannot start (a plugin that fails only in the
// child, no memory) waits longer after each failure, up to the maximum.
constexpr int64_t kRestartBackoffInitialMs = 100;
constexpr int64_t kRestartBackoffMaxMs = 5000;

std::chrono::milliseconds RestartDelay(uint32_t failed_starts) {
  int64_t delay_ms = kRestartBackoffInitialMs;
  for (uint32_t i = 1; i < failed_starts && delay_ms < kRestartBackoffMaxMs; ++i) {
    delay_ms *= 2;
  }
  return std::chrono::milliseconds(std::min(delay_ms, kRestartBackoffMaxMs));
}

wire::JobResult FailedResult(const std::string& id, uint32_t attempt, const std::string& type,
                             const std::string& message, std::chrono::microseconds run_time) {
  wire::JobResult result;
  result.set_id(id);
  result.set_attempt(attempt);
  result.set_ok(false);
  result.mutable_error()->set_type(type);
  result.mutable_error()->set_message(message);
  result.set_run_time_us(run_time.count());
  return result;
}

std::string ChildName(pid_t pid) { return "child " + std::to_string(pid); }

}  // namespace

ProcessPool::ProcessPool(ProcessPoolOptions options)
    : options_(std::move(options)),
      child_args_(child::ChildArguments(
          {options_.child_log_level, options_.plugins, options_.child_exec_output_max_bytes})) {
  JOBQ_CHECK(options_.children >= 1)
      << "a pool needs a child; flags turn --cpu-procs 0 into no pool";
  JOBQ_CHECK(options_.queue_max >= 1) << "a queue bound of 0 would refuse every job";
  slots_.resize(options_.children);
  JOBQ_LOG(kInfo, kComponent, "cpu_pool_starting")
      .Kv("children", options_.children)
      .Kv("max_jobs_per_child", options_.max_jobs_per_child)
      .Kv("max_rss_per_child_bytes", options_.max_rss_per_child_bytes)
      .Kv("plugins", options_.plugins.size());
  supervisor_ = std::thread([this] { Supervise(); });
}

ProcessPool::~ProcessPool() { Stop(); }

bool ProcessPool::Submit(wire::DispatchedJob job, std::shared_ptr<CancellationToken> cancel,
                         Completion done) {
  JOBQ_CHECK(cancel != nullptr && done) << "every job has a token and a completion";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= options_.queue_max) {
      return false;
    }
    queue_.push_back({std::move(job), std::move(cancel), std::move(done)});
  }
  wake_.Notify();
  return true;
}

void ProcessPool::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.Notify();
    JOBQ_CHECK(supervisor_.get_id() != std::this_thread::get_id())
        << "a completion cannot wait for its own pool to stop";
    supervisor_.join();
  });
}

std::vector<pid_t> ProcessPool::ChildPids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pids_;
}

// The supervisor's loop. Each step first settles what changed (children
// that ended, slots to refill, jobs to hand out), then sleeps in poll()
// until a child speaks, a job arrives, or a timer is due.
void ProcessPool::Supervise() {
  while (true) {
    const Clock::time_point now = Clock::now();
    ReapExiting(now);
    StartChildren(now);
    FailCancelledQueued();
    Dispatch(now);
    PublishPids();
    if (Finished()) {
      return;
    }
    Poll(now);
    CheckRunning(Clock::now());
  }
}

bool ProcessPool::Finished() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_ || !queue_.empty()) {
      return false;
    }
  }
  return exiting_.empty() && std::none_of(slots_.begin(), slots_.end(),
                                          [](const Slot& slot) { return slot.child.has_value(); });
}

void ProcessPool::ReapExiting(Clock::time_point now) {
  for (auto it = exiting_.begin(); it != exiting_.end();) {
    Exiting& exiting = *it;
    const pid_t pid = exiting.process.pid();
    std::optional<int> status = exiting.process.TryReap();
    if (!status.has_value()) {
      if (!exiting.killed && now >= exiting.kill_at) {
        JOBQ_LOG(kWarning, kComponent, "child_kill_overdue").Kv("pid", pid);
        exiting.process.Kill();
        exiting.killed = true;
      }
      ++it;
      continue;
    }
    const std::string how = child::DescribeChildExit(pid, *status);
    if (exiting.job.has_value()) {
      if (exiting.failure.has_value()) {
        CompleteFailed(std::move(*exiting.job), exiting.failure->type, exiting.failure->message);
      } else {
        JOBQ_LOG(kWarning, kComponent, "child_crashed")
            .Kv("pid", pid)
            .Kv("job", JobIdText(exiting.job->id))
            .Kv("task", exiting.job->task)
            .Kv("how", how);
        CompleteFailed(std::move(*exiting.job), kErrorCrashed,
                       exiting.ready ? how : how + " before it was ready (see the worker's log)");
      }
    } else if (!exiting.killed && !(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)) {
      JOBQ_LOG(kWarning, kComponent, "child_exited").Kv("pid", pid).Kv("how", how);
    }
    it = exiting_.erase(it);
  }
}

void ProcessPool::StartChildren(Clock::time_point now) {
  bool stopping;
  bool queue_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping = stopping_;
    queue_empty = queue_.empty();
  }
  // A stopping pool still replaces children while queued jobs need them.
  if (stopping && queue_empty) {
    return;
  }
  for (Slot& slot : slots_) {
    if (slot.child.has_value() || now < slot.start_at) {
      continue;
    }
    absl::StatusOr<child::ChildProcess> process =
        child::ChildProcess::Spawn(options_.executable, kChildArg0, child_args_);
    if (!process.ok()) {
      ++slot.failed_starts;
      slot.start_at = now + RestartDelay(slot.failed_starts);
      JOBQ_LOG(kError, kComponent, "child_spawn_failed")
          .Kv("executable", options_.executable)
          .Kv("error", process.status().message())
          .Kv("attempt", slot.failed_starts);
      if (stopping) {
        // Nothing else would ever end the queued jobs, and so Stop().
        std::deque<Queued> orphans;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          orphans.swap(queue_);
        }
        for (Queued& queued : orphans) {
          queued.done(FailedResult(queued.job.id(), queued.job.attempt(), kErrorCrashed,
                                   "no child process could be started to run it: " +
                                       std::string(process.status().message()),
                                   {}));
        }
        return;
      }
      continue;
    }
    JOBQ_LOG(kDebug, kComponent, "child_started").Kv("pid", process->pid());
    slot.child.emplace(Child{std::move(*process), false, 0, std::nullopt});
  }
}

void ProcessPool::FailCancelledQueued() {
  std::vector<Queued> cancelled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->cancel->IsCancelled()) {
        cancelled.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Queued& queued : cancelled) {
    queued.done(FailedResult(queued.job.id(), queued.job.attempt(), kErrorCancelled,
                             "job \"" + queued.job.task() + "\" was cancelled before it started",
                             {}));
  }
}

void ProcessPool::Dispatch(Clock::time_point now) {
  for (Slot& slot : slots_) {
    while (slot.child.has_value() && !slot.child->job.has_value()) {
      std::optional<Queued> next;
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping = stopping_;
        if (!queue_.empty()) {
          next.emplace(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (!next.has_value()) {
        // No job can come any more: this child gets its sentinel now.
        if (stopping) {
          Retire(slot, std::nullopt, /*stop=*/true, now);
        }
        break;
      }
      const wire::DispatchedJob& job = next->job;
      Running running;
      running.id = job.id();
      running.attempt = job.attempt();
      running.task = job.task();
      // Clamped: a broker's absurd timeout must not overflow the clock sums below.
      running.timeout_ms = ClampTimeoutMs(job.timeout_ms());
      running.started = now;
      running.cancel = std::move(next->cancel);
      running.done = std::move(next->done);
      child::ChildChannel& channel = slot.child->process.channel();
      if (!channel.Queue(ChildFrameType::kJob, job)) {
        CompleteFailed(std::move(running), kErrorCrashed,
                       "job is too large for a child process (over " +
                           std::to_string(child::kMaxChildFrameBytes) + " bytes)");
        continue;
      }
      // The timeout starts when the child can run the job, so a child
      // still loading its plugins does not eat into it (see HandleFrame).
      if (running.timeout_ms > 0 && slot.child->ready) {
        running.deadline = now + std::chrono::milliseconds(running.timeout_ms);
      }
      slot.child->job.emplace(std::move(running));
      if (!channel.Flush()) {
        Retire(slot, std::nullopt, /*stop=*/false, now);
      }
    }
  }
}

void ProcessPool::Poll(Clock::time_point now) {
  std::vector<pollfd> fds = {{wake_.fd(), POLLIN, 0}};
  std::vector<Slot*> owners;
  std::optional<Clock::time_point> wake_at;
  const auto wake_by = [&wake_at](Clock::time_point at) {
    wake_at = wake_at.has_value() ? std::min(*wake_at, at) : at;
  };
  bool starting_children;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    starting_children = !stopping_ || !queue_.empty();  // as StartChildren() decides
  }
  for (Slot& slot : slots_) {
    if (!slot.child.has_value()) {
      if (starting_children) {
        wake_by(slot.start_at);
      }
      continue;
    }
    child::ChildChannel& channel = slot.child->process.channel();
    const short events = POLLIN | (channel.has_unsent() ? POLLOUT : 0);
    fds.push_back({channel.fd(), events, 0});
    owners.push_back(&slot);
    if (slot.child->job.has_value()) {
      wake_by(now + std::chrono::milliseconds(kCancelCheckMs));
      if (slot.child->job->deadline.has_value()) {
        wake_by(*slot.child->job->deadline);
      }
    }
  }
  if (!exiting_.empty()) {
    wake_by(now + std::chrono::milliseconds(kReapCheckMs));
  }
  int timeout_ms = -1;
  if (wake_at.has_value()) {
    // Rounded up: waking a little early would only spin until the timer.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*wake_at - now);
    timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000));
  }
  const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
  if (ready <= 0) {
    return;  // a timer is due, or EINTR
  }
  if (fds[0].revents != 0) {
    wake_.Drain();
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].revents != 0) {
      ServeChild(*owners[i - 1], fds[i].revents, Clock::now());
    }
  }
}

void ProcessPool::ServeChild(Slot& slot, short revents, Clock::time_point now) {
  child::ChildChannel& channel = slot.child->process.channel();
  if ((revents & POLLOUT) != 0 && !channel.Flush()) {
    Retire(slot, std::nullopt, /*stop=*/false, now);
    return;
  }
  if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
    return;
  }
  while (true) {
    switch (channel.ReadSome()) {
      case child::ChildChannel::ReadStatus::kRead:
        break;
      case child::ChildChannel::ReadStatus::kWouldBlock:
        return;
      case child::ChildChannel::ReadStatus::kClosed:
      case child::ChildChannel::ReadStatus::kFailed:
        // It ended (or is ending); how, the reaping will tell.
        Retire(slot, std::nullopt, /*stop=*/false, now);
        return;
    }
    while (true) {
      const DecodedChildFrame frame = channel.NextFrame();
      if (frame.status == FrameStatus::kIncomplete) {
        break;
      }
      if (frame.status != FrameStatus::kFrame) {
        const std::string pid = ChildName(slot.child->process.pid());
        JOBQ_LOG(kError, kComponent, "child_bad_frame")
            .Kv("child", pid)
            .Kv("error", frame.ErrorText());
        Retire(slot,
               Failure{kErrorCrashed, pid + " broke the channel protocol (" + frame.ErrorText() +
                                          ") and was killed"},
               /*stop=*/false, now);
        return;
      }
      HandleFrame(slot, frame, now);
      if (!slot.child.has_value()) {
        return;
      }
    }
  }
}

void ProcessPool::HandleFrame(Slot& slot, const DecodedChildFrame& frame, Clock::time_point now) {
  Child& child = *slot.child;
  const std::string name = ChildName(child.process.pid());
  std::string problem;
  switch (frame.type) {
    case ChildFrameType::kReady:
      if (child.ready) {
        problem = "sent READY twice";
        break;
      }
      child.ready = true;
      slot.failed_starts = 0;
      if (child.job.has_value() && child.job->timeout_ms > 0) {
        child.job->deadline = now + std::chrono::milliseconds(child.job->timeout_ms);
      }
      return;
    case ChildFrameType::kResult: {
      wire::JobResult result;
      if (!result.ParseFromArray(frame.body.data(), static_cast<int>(frame.body.size()))) {
        problem = "sent a RESULT that does not decode";
      } else if (!child.job.has_value() || result.id() != child.job->id ||
                 result.attempt() != child.job->attempt) {
        problem = "sent a RESULT for a job it was not running";
      } else {
        Running job = std::move(*child.job);
        child.job.reset();
        ++child.jobs_done;
        job.done(std::move(result));
        AfterJob(slot, now);
        return;
      }
      break;
    }
    case ChildFrameType::kProgress: {
      wire::ProgressReport report;
      if (!report.ParseFromArray(frame.body.data(), static_cast<int>(frame.body.size()))) {
        problem = "sent a PROGRESS that does not decode";
        break;
      }
      // One the pool already finished (a timeout) is late, not broken.
      if (child.job.has_value() && report.id() == child.job->id &&
          report.attempt() == child.job->attempt && progress_post_) {
        progress_post_(std::move(report));
      }
      return;
    }
    case ChildFrameType::kJob:
    case ChildFrameType::kStop:
      problem = std::string("sent a ") + child::ChildFrameTypeName(frame.type) + " frame";
      break;
  }
  JOBQ_LOG(kError, kComponent, "child_bad_frame").Kv("child", name).Kv("error", problem);
  Retire(
      slot,
      Failure{kErrorCrashed, name + " broke the channel protocol (" + problem + ") and was killed"},
      /*stop=*/false, now);
}

void ProcessPool::AfterJob(Slot& slot, Clock::time_point now) {
  const Child& child = *slot.child;
  if (options_.max_jobs_per_child > 0 && child.jobs_done >= options_.max_jobs_per_child) {
    JOBQ_LOG(kDebug, kComponent, "child_recycled")
        .Kv("pid", child.process.pid())
        .Kv("reason", "max_jobs_per_child")
        .Kv("jobs", child.jobs_done);
    Retire(slot, std::nullopt, /*stop=*/true, now);
    return;
  }
  if (options_.max_rss_per_child_bytes > 0) {
    const std::optional<uint64_t> rss = child::ReadRssBytes(child.process.pid());
    if (rss.has_value() && *rss > options_.max_rss_per_child_bytes) {
      JOBQ_LOG(kInfo, kComponent, "child_recycled")
          .Kv("pid", child.process.pid())
          .Kv("reason", "max_rss_per_child")
          .Kv("rss_bytes", *rss)
          .Kv("jobs", child.jobs_done);
      Retire(slot, std::nullopt, /*stop=*/true, now);
    }
  }
}

void ProcessPool::CheckRunning(Clock::time_point now) {
  for (Slot& slot : slots_) {
    if (!slot.child.has_value() || !slot.child->job.has_value()) {
      continue;
    }
    const Running& job = *slot.child->job;
    const std::string name = ChildName(slot.child->process.pid());
    if (job.cancel->IsCancelled()) {
      Retire(slot,
             Failure{kErrorCancelled, "job \"" + job.task + "\" was cancelled while running; " +
                                          name + " was killed"},
             /*stop=*/false, now);
    } else if (job.deadline.has_value() && now >= *job.deadline) {
      // The job's error says so to its producer; at the default level there
      // is no line per job.
      JOBQ_LOG(kDebug, kComponent, "job_timed_out")
          .Kv("job", JobIdText(job.id))
          .Kv("task", job.task)
          .Kv("timeout_ms", job.timeout_ms)
          .Kv("child", name);
      Retire(slot,
             Failure{kErrorTimeout, "job \"" + job.task + "\" ran past its timeout of " +
                                        std::to_string(job.timeout_ms) + " ms; " + name +
                                        " was killed"},
             /*stop=*/false, now);
    }
  }
}

void ProcessPool::Retire(Slot& slot, std::optional<Failure> failure, bool stop,
                         Clock::time_point now) {
  Child child = std::move(*slot.child);
  slot.child.reset();
  const bool died_starting = !failure.has_value() && !stop && !child.ready;
  if (died_starting) {
    ++slot.failed_starts;
    slot.start_at = now + RestartDelay(slot.failed_starts);
  } else {
    slot.start_at = now;
  }

  Exiting exiting{.process = std::move(child.process),
                  .ready = child.ready,
                  .job = std::move(child.job),
                  .failure = std::move(failure),
                  .kill_at = now + std::chrono::milliseconds(kBrokenChildGraceMs)};
  child::ChildChannel& channel = exiting.process.channel();
  if (exiting.failure.has_value()) {
    exiting.process.Kill();
    exiting.killed = true;
  } else if (stop) {
    // An idle child has read everything it was sent, so its sentinel fits
    // the socket at once; if not, the grace period ends it.
    if (channel.Queue(ChildFrameType::kStop)) {
      (void)channel.Flush();
    }
    exiting.kill_at = now + std::chrono::milliseconds(options_.stop_grace_ms);
  }
  // The child reads whatever was sent before this close, then EOF, which
  // ends it as surely as its sentinel.
  channel.Close();
  exiting_.push_back(std::move(exiting));
}

void ProcessPool::CompleteFailed(Running job, const std::string& type, const std::string& message) {
  const auto run_time =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job.started);
  job.done(FailedResult(job.id, job.attempt, type, message, run_time));
}

void ProcessPool::PublishPids() {
  std::vector<pid_t> pids;
  for (const Slot& slot : slots_) {
    if (slot.child.has_value()) {
      pids.push_back(slot.child->process.pid());
    }
  }
  for (const Exiting& exiting : exiting_) {
    pids.push_back(exiting.process.pid());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  pids_ = std::move(pids);
}

}  // namespace jobq::worker
