#pragma once
// LeaseKeeper: keeps the leader's lease (docs/postgres.md) while the broker
// serves, and says when it is lost, so a broker that can no longer prove it
// leads stops before a standby that took over starts serving.
//
// Two threads, because a renewal can block: a database cut off by the
// network leaves its TCP connection waiting, and the deadline must still be
// noticed on time. The renewer renews every ttl/3; the watchdog waits for
// the lease's local deadline (when the last successful renewal was sent,
// plus the ttl less a margin for clock rates) and calls `lost` when it
// passes without a newer renewal, or at once when a renewal says another
// epoch leads. The database sets the lease's expiry from its own clock when
// it runs the renewal, which is after it was sent: the local deadline comes
// first, so this broker stops before anyone may take over.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jobq::broker::leader {

class LeaseKeeper {
 public:
  // Renew: true while the lease is still ours (extended by the ttl), false
  // when another epoch leads; an error when the store could not be asked.
  using Renew = std::function<absl::StatusOr<bool>()>;
  using Lost = std::function<void(absl::Status why)>;

  // The lease was acquired (or last renewed) when `acquired` was sent.
  // `lost` is called at most once, from the keeper's thread.
  LeaseKeeper(Renew renew, std::chrono::milliseconds ttl,
              std::chrono::steady_clock::time_point acquired, Lost lost);
  ~LeaseKeeper();  // stops both threads; a renewal in flight is waited for

  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // The margin kept off the ttl: the local deadline is sent + ttl - margin.
  static std::chrono::milliseconds Margin(std::chrono::milliseconds ttl) { return ttl / 5; }

 private:
  void RunRenewer();
  void RunWatchdog();

  const Renew renew_;
  const std::chrono::milliseconds ttl_;
  const Lost lost_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::chrono::steady_clock::time_point valid_until_;  // guarded by mutex_
  bool deposed_ = false;                               // guarded by mutex_
  absl::Status deposed_why_;                           // guarded by mutex_
  bool stop_ = false;                                  // guarded by mutex_
  std::thread renewer_;
  std::thread watchdog_;
};

}  // namespace jobq::broker::leader
