#pragma once
// ConcurrencyCap: how many of a queue's jobs may run at once across all
// workers (`jobq limit QUEUE --concurrency N`), and how many do. A job
// holds a slot from its dispatch until its lease ends (done, failed,
// expired, cancelled), whichever worker runs it.
//
// The core keeps the count: a slot released twice, or one never acquired,
// is a bug in the core (a peer's duplicate message must be dropped before
// it gets here), so Release below zero CHECK-fails, as does Acquire with no
// room.
//
// A plain value; not thread-safe. The loop thread owns the core's caps.

#include <cstdint>

namespace jobq::broker::core {

class ConcurrencyCap {
 public:
  // `limit` passes CheckConcurrency (CHECKed). `running` jobs already hold
  // a slot: the leases a restarted broker recovered. It may exceed the
  // limit (a limit lowered while they ran); no new job starts until enough
  // of them end.
  explicit ConcurrencyCap(int64_t limit, int64_t running = 0);

  // Whether one more job may start.
  bool HasRoom() const { return running_ < limit_; }
  // How many more jobs may start: limit - running, or 0 when over it.
  int64_t Room() const;

  // Takes a slot if there is room; false, taking nothing, if not.
  bool TryAcquire();
  // Takes a slot the caller knows is free (HasRoom() was true); CHECKed.
  void Acquire();
  // Gives back a slot a job held; CHECKs that one is held.
  void Release();

  // A changed limit. Running jobs keep their slots even above it.
  void SetLimit(int64_t limit);

  int64_t limit() const { return limit_; }
  int64_t running() const { return running_; }

 private:
  int64_t limit_;
  int64_t running_;
};

}  // namespace jobq::broker::core
