#include "worker/conn/wake_fd.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/check.h"

namespace jobq::worker {

WakeFd::WakeFd() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  JOBQ_CHECK(fd_ >= 0) << "eventfd: " << std::strerror(errno);
}

WakeFd::~WakeFd() { close(fd_); }

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
  // Non-blocking: EAGAIN when nothing was pending, which is fine.
  [[maybe_unused]] ssize_t got = read(fd_, &count, sizeof(count));
}

}  // namespace jobq::worker
