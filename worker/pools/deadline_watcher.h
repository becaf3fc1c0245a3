#pragma once
// DeadlineWatcher: runs a callback when a deadline passes, unless it was
// cancelled first — how the I/O pool enforces job timeouts (DESIGN §7). One
// thread sleeps until the earliest deadline; deadlines are kept ordered,
// and a cancelled one is removed at once, so a busy pool with long timeouts
// holds only the deadlines of jobs still running.
//
// Thread-safety: Watch() and Cancel() may be called from any thread.
// Callbacks run on the watcher's thread, one at a time and without the lock
// held, so they may call Watch()/Cancel(); they must be quick and must not
// throw. Stop() and the destructor: from the owner, never from a callback.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace jobq::worker {

class DeadlineWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void()>;

  // Names one watched deadline, for Cancel().
  struct Handle {
    Clock::time_point deadline;
    uint64_t sequence = 0;  // 0: no deadline
    auto operator<=>(const Handle&) const = default;
  };

  DeadlineWatcher();
  DeadlineWatcher(const DeadlineWatcher&) = delete;
  DeadlineWatcher& operator=(const DeadlineWatcher&) = delete;
  ~DeadlineWatcher();  // Stop()

  // Calls `callback` (non-empty) once `deadline` has passed, unless
  // Cancel() comes first. A deadline already past fires at once (on the
  // watcher's thread). After Stop(), does nothing and returns a handle
  // that Cancel() ignores.
  Handle Watch(Clock::time_point deadline, Callback callback);

  // Forgets the deadline. True when it had not fired yet, so its callback
  // never will; false when it has fired (or is firing now), was cancelled
  // already, or is the empty handle.
  bool Cancel(const Handle& handle);

  // Drops the deadlines still pending (their callbacks never run) and joins
  // the thread. Idempotent.
  void Stop();

  // The number of deadlines waiting, for tests.
  size_t PendingForTest();

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Handle, Callback> pending_;  // ordered by deadline, then sequence
  uint64_t next_sequence_ = 1;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace jobq::worker
