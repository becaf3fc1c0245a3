#include "common/wake_fd.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/check.h"

namespace jobq {

absl::StatusOr<WakeFd> WakeFd::Create() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(std::string("cannot create a wake-up descriptor (eventfd): ") +
                               std::strerror(errno));
  }
  return WakeFd(fd);
}

WakeFd WakeFd::CreateOrDie() {
  absl::StatusOr<WakeFd> created = Create();
  JOBQ_CHECK(created.ok()) << created.status().message();
  return std::move(created).value();
}

WakeFd::WakeFd(WakeFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

WakeFd::~WakeFd() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

void WakeFd::Notify() const {
  // A signal handler may interrupt code that is about to read errno.
  const int saved_errno = errno;
  const uint64_t one = 1;
  // The only failure is EAGAIN at a counter of 2^64-2, which is readable
  // anyway, so the result carries no news.
  [[maybe_unused]] ssize_t written = write(fd_, &one, sizeof(one));
  errno = saved_errno;
}

void WakeFd::Drain() const {
  uint64_t count = 0;
  // Non-blocking: EAGAIN when nothing was pending, which is fine. One read
  // takes the whole counter.
  [[maybe_unused]] ssize_t got = read(fd_, &count, sizeof(count));
}

}  // namespace jobq
