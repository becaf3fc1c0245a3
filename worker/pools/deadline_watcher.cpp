#include "worker/pools/deadline_watcher.h"

#include "common/check.h"

namespace jobq::worker {

DeadlineWatcher::DeadlineWatcher() : thread_([this] { Run(); }) {}

DeadlineWatcher::~DeadlineWatcher() { Stop(); }

DeadlineWatcher::Handle DeadlineWatcher::Watch(Clock::time_point deadline, Callback callback) {
  JOBQ_CHECK(callback) << "a deadline needs something to do";
  bool earliest = false;
  Handle handle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return Handle{};
    }
    handle = Handle{deadline, next_sequence_++};
    auto it = pending_.emplace(handle, std::move(callback)).first;
    earliest = it == pending_.begin();
  }
  // Only a new earliest deadline changes how long the thread should sleep.
  if (earliest) {
    changed_.notify_one();
  }
  return handle;
}

bool DeadlineWatcher::Cancel(const Handle& handle) {
  Callback dropped;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pending_.find(handle);
  if (it == pending_.end()) {
    return false;
  }
  dropped = std::move(it->second);
  pending_.erase(it);
  return true;
}

void DeadlineWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) {
    JOBQ_CHECK(thread_.get_id() != std::this_thread::get_id())
        << "a callback cannot stop its own watcher";
    thread_.join();
  }
  std::map<Handle, Callback> dropped;
  std::lock_guard<std::mutex> lock(mutex_);
  dropped.swap(pending_);
}

size_t DeadlineWatcher::PendingForTest() {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

void DeadlineWatcher::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (pending_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto first = pending_.begin();
    if (Clock::now() < first->first.deadline) {
      // Wakes early for a new earliest deadline or Stop(); either way the
      // loop looks again. A copy: wait_until reads its deadline again after
      // waking, when a Cancel() may have freed the entry (ASan found it).
      const Clock::time_point deadline = first->first.deadline;
      changed_.wait_until(lock, deadline);
      continue;
    }
    Callback callback = std::move(first->second);
    pending_.erase(first);
    lock.unlock();
    callback();
    callback = nullptr;  // its captures go before the lock is taken again
    lock.lock();
  }
}

}  // namespace jobq::worker
