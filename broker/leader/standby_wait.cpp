#include "broker/leader/standby_wait.h"

#include <poll.h>

#include <cerrno>

#include "common/log.h"

namespace jobq::broker::leader {

std::optional<int64_t> WaitForLeadership(
    const LeaseOps& lease, std::chrono::milliseconds poll, const WakeFd& wake,
    const std::function<bool()>& stopped,
    const std::function<void(const absl::StatusOr<LeaderView>&)>& publish) {
  std::string last_error;
  while (!stopped()) {
    absl::StatusOr<std::optional<int64_t>> acquired = lease.try_acquire();
    if (acquired.ok() && acquired->has_value()) {
      return **acquired;
    }
    if (!acquired.ok() && std::string(acquired.status().message()) != last_error) {
      // Once per distinct error: a database that is away for an hour
      // should not fill the log.
      last_error = std::string(acquired.status().message());
      JOBQ_LOG(kWarning, "broker", "standby_cannot_reach_store").Kv("why", last_error);
    } else if (acquired.ok()) {
      last_error.clear();
    }
    publish(lease.read());
    pollfd woken = {wake.fd(), POLLIN, 0};
    if (::poll(&woken, 1, static_cast<int>(poll.count())) > 0) {
      wake.Drain();
    }
  }
  return std::nullopt;
}

}  // namespace jobq::broker::leader
