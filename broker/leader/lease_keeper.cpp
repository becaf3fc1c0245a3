#include "broker/leader/lease_keeper.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace jobq::broker::leader {

using Steady = std::chrono::steady_clock;

LeaseKeeper::LeaseKeeper(Renew renew, std::chrono::milliseconds ttl, Steady::time_point acquired,
                         Lost lost)
    : renew_(std::move(renew)),
      ttl_(ttl),
      lost_(std::move(lost)),
      valid_until_(acquired + ttl - Margin(ttl)) {
  renewer_ = std::thread([this] { RunRenewer(); });
  watchdog_ = std::thread([this] { RunWatchdog(); });
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
  renewer_.join();
}

void LeaseKeeper::RunRenewer() {
  Steady::time_point next = Steady::now() + ttl_ / 3;
  std::unique_lock lock(mutex_);
  while (!stop_ && !deposed_) {
    wake_.wait_until(lock, next, [this] { return stop_ || deposed_; });
    if (stop_ || deposed_) {
      return;
    }
    const Steady::time_point sent = Steady::now();
    lock.unlock();
    absl::StatusOr<bool> renewed = renew_();
    lock.lock();
    if (renewed.ok() && *renewed) {
      valid_until_ = std::max(valid_until_, sent + ttl_ - Margin(ttl_));
      next = sent + ttl_ / 3;
    } else if (renewed.ok()) {
      deposed_ = true;
      deposed_why_ = absl::AbortedError(
          "another broker took over the leadership: this one's epoch is no longer the "
          "store's");
      wake_.notify_all();
    } else {
      // Try again soon: the deadline, not one failure, decides.
      JOBQ_LOG(kWarning, "broker", "lease_renewal_failed").Kv("why", renewed.status().message());
      next = Steady::now() + ttl_ / 10;
    }
  }
}

void LeaseKeeper::RunWatchdog() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    const Steady::time_point deadline = valid_until_;
    wake_.wait_until(lock, deadline,
                     [this, deadline] { return stop_ || deposed_ || valid_until_ != deadline; });
    if (stop_) {
      return;
    }
    absl::Status why;
    if (deposed_) {
      why = deposed_why_;
    } else if (Steady::now() >= valid_until_) {
      why = absl::AbortedError(absl::StrCat(
          "the leadership lease could not be renewed for ",
          std::chrono::duration_cast<std::chrono::milliseconds>(ttl_ - Margin(ttl_)).count(),
          " ms (is the database reachable?): another broker may take over"));
    } else {
      continue;  // renewed meanwhile
    }
    // Stop renewing too: a lost lease is not taken back by this broker.
    deposed_ = true;
    wake_.notify_all();
    lock.unlock();
    lost_(std::move(why));
    return;
  }
}

}  // namespace jobq::broker::leader
