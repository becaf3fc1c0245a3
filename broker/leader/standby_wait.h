#pragma once
// WaitForLeadership: a standby's wait (docs/postgres.md). It tries to take
// the lease every `poll`; between tries it reads who leads and hands that
// to `publish` (the standby's status snapshot). The lease's own expiry,
// on the database's clock, decides when a standby may take over; `poll`
// only bounds how late after that it notices.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/wake_fd.h"

namespace jobq::broker::leader {

// What the store says of the lease.
struct LeaderView {
  int64_t epoch = 0;
  std::string holder;
  std::string endpoints;  // EncodeEndpoints text
  bool expired = true;
};

struct LeaseOps {
  // This broker's new epoch when it took the lease; nullopt while another
  // holds a live one.
  std::function<absl::StatusOr<std::optional<int64_t>>()> try_acquire;
  std::function<absl::StatusOr<LeaderView>()> read;
};

// Returns the epoch this broker leads with, or nullopt once `stopped()`
// (checked whenever `wake` is notified, and at every poll).
std::optional<int64_t> WaitForLeadership(
    const LeaseOps& lease, std::chrono::milliseconds poll, const WakeFd& wake,
    const std::function<bool()>& stopped,
    const std::function<void(const absl::StatusOr<LeaderView>&)>& publish);

}  // namespace jobq::broker::leader
