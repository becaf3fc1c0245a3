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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // While not stopping the queue holds no sentinels, so its size is the
    // number of waiting closures.
    if (stopping_ || queue_.size() >= queue_max_) {
      return false;
    }
    queue_.push_back(std::move(work));
  }
  ready_.notify_one();
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
  while (true) {
    Work work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !queue_.empty(); });
      work = std::move(queue_.front());
      queue_.pop_front();
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
  }
}

}  // namespace jobq::worker
