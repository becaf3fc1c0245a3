#include "worker/pools/thread_pool.h"

#include <exception>

#include "common/check.h"
#include "common/log.h"

namespace jobq::worker {

ThreadPool::ThreadPool(std::string name, uint32_t threads, size_t queue_max)
    : name_(std::move(name)), queue_max_(queue_max) {
  JOBQ_CHECK(threads >= 1) << "a pool needs a thread; flags validate --io-threads";
  JOBQ_CHECK(queue_max >= 1) << "a queue bound of 0 would refuse every job";
  threads_.reserve(threads);
  for (uint32_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { RunThread(); });
  }
}

ThreadPool::~ThreadPool() { Stop(); }

bool ThreadPool::TrySubmit(Work work) {
  JOBQ_CHECK(work) << "an empty closure is the stop sentinel";
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // While not stopping the queue holds no sentinels, so its size is the
    // number of waiting closures.
    if (stopping_ || queue_.size() >= queue_max_) {
      return false;
    }
    queue_.push_back(std::move(work));
    wake = WakeOneIfNoneSearching();
  }
  if (wake) {
    ready_.notify_one();
  }
  return true;
}

bool ThreadPool::WakeOneIfNoneSearching() {
  if (searching_ > 0 || sleeping_ <= wakeups_) {
    return false;
  }
  ++wakeups_;
  ++searching_;  // the thread it wakes
  return true;
}

void ThreadPool::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      for (size_t i = 0; i < threads_.size(); ++i) {
        queue_.emplace_back();
      }
      // Every thread must take its sentinel: wake all, counted as a waker would.
      searching_ += sleeping_ - wakeups_;
      wakeups_ = sleeping_;
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
      JOBQ_CHECK(thread.get_id() != std::this_thread::get_id())
          << "a pool thread cannot wait for itself to stop";
      thread.join();
    }
  });
}

void ThreadPool::RunThread() {
  std::unique_lock<std::mutex> lock(mutex_);
  ++searching_;
  while (true) {
    while (queue_.empty()) {
      --searching_;
      ++sleeping_;
      ready_.wait(lock, [this] { return wakeups_ > 0; });
      --wakeups_;
      --sleeping_;
      // The waker counted this thread as searching.
    }
    Work work = std::move(queue_.front());
    queue_.pop_front();
    --searching_;
    // Work left: the next thread is needed now, not when this job is done.
    const bool wake_next = !queue_.empty() && WakeOneIfNoneSearching();
    lock.unlock();
    if (wake_next) {
      ready_.notify_one();
    }
    if (!work) {
      return;  // this thread's sentinel
    }
    // Closures catch their own errors (RunJob never throws); this is the
    // last line so that a bug cannot take the process down with it.
    try {
      work();
    } catch (const std::exception& e) {
      JOBQ_LOG(kError, "worker", "pool_work_threw").Kv("pool", name_).Kv("what", e.what());
    } catch (...) {
      JOBQ_LOG(kError, "worker", "pool_work_threw")
          .Kv("pool", name_)
          .Kv("what", "non-std exception");
    }
    lock.lock();
    ++searching_;
  }
}

}  // namespace jobq::worker
