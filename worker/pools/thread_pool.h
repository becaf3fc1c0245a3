#pragma once
// ThreadPool: N threads taking closures from one bounded FIFO queue. It is
// stopped the way the reference stops consumers: one stop sentinel per
// thread goes into the queue behind the work already there, so every queued
// closure still runs, then each thread takes a sentinel and ends.
//
// Wake-ups: a thread is woken only when no other is already on its way to
// the queue, and a thread that takes a job wakes the next if work is left.
// Waking one thread per job made four threads running `noop` spend more
// time switching than working (docs/benchmarks.md); this way a burst of
// short jobs is run by as few threads as keep up with it, and a burst of
// long ones still wakes every thread, one after the other.
//
// Thread-safety: TrySubmit() may be called from any thread; Stop() and the
// destructor from the owner's thread, never from a pool thread.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jobq::worker {

class ThreadPool {
 public:
  using Work = std::function<void()>;

  // Starts `threads` (>= 1) threads. At most `queue_max` (>= 1) closures
  // wait at once; running ones do not count. `name` labels log lines.
  ThreadPool(std::string name, uint32_t threads, size_t queue_max);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();  // Stop()

  // Queues `work` (non-empty). False, and `work` is dropped, when queue_max
  // closures are waiting or Stop() has begun. A closure that throws is
  // logged; the exception never ends its thread.
  bool TrySubmit(Work work);

  // Queues one sentinel per thread behind the waiting work and joins the
  // threads; returns once all queued work has run. Idempotent.
  void Stop();

  uint32_t thread_count() const { return static_cast<uint32_t>(threads_.size()); }

 private:
  void RunThread();
  // Under mutex_: wakes one sleeping thread if none is searching already.
  // Returns whether the caller must notify ready_.
  bool WakeOneIfNoneSearching();

  const std::string name_;
  const size_t queue_max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Work> queue_;  // an empty Work is the stop sentinel
  // Threads awake and about to look at the queue (woken, or done with a job).
  uint32_t searching_ = 0;
  uint32_t sleeping_ = 0;  // threads waiting on ready_
  uint32_t wakeups_ = 0;   // notifications sent and not yet taken by a sleeper
  bool stopping_ = false;
  std::once_flag stop_once_;
  std::vector<std::thread> threads_;
};

}  // namespace jobq::worker
