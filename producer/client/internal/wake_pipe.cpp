#include "producer/client/internal/wake_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace jobq::client_internal {

absl::StatusOr<WakePipe> WakePipe::Create() {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    return absl::InternalError(std::string("cannot create the client's wake-up pipe: ") +
                               std::strerror(errno));
  }
  return WakePipe(fds[0], fds[1]);
}

WakePipe::WakePipe(WakePipe&& other) noexcept
    : read_fd_(other.read_fd_), write_fd_(other.write_fd_) {
  other.read_fd_ = -1;
  other.write_fd_ = -1;
}

WakePipe::~WakePipe() {
  if (read_fd_ >= 0) {
    close(read_fd_);
  }
  if (write_fd_ >= 0) {
    close(write_fd_);
  }
}

void WakePipe::Signal() {
  const char byte = 1;
  // EAGAIN means the pipe is full, so the reader will wake anyway; nothing
  // else can fail on a pipe whose read end we hold open.
  while (write(write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
}

void WakePipe::Drain() {
  char buffer[64];
  while (true) {
    ssize_t n = read(read_fd_, buffer, sizeof(buffer));
    if (n > 0) {
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return;  // empty (EAGAIN) or closed
  }
}

}  // namespace jobq::client_internal
