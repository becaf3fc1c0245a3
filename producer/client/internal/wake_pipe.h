#pragma once
// WakePipe: the self-pipe a Client's caller threads use to wake its I/O
// thread out of zmq::poll (which can watch a plain fd). ZeroMQ sockets may
// not be shared between threads, so callers cannot use an inproc socket
// without owning one each. Signal() may be called from any thread;
// Drain() only by the polling thread.

#include "absl/status/statusor.h"

namespace jobq::client_internal {

class WakePipe {
 public:
  static absl::StatusOr<WakePipe> Create();

  WakePipe(WakePipe&& other) noexcept;
  WakePipe& operator=(WakePipe&& other) = delete;
  WakePipe(const WakePipe&) = delete;
  ~WakePipe();

  // Makes read_fd() readable. Never blocks: a full pipe is already readable.
  void Signal();
  // Reads everything written so far.
  void Drain();
  int read_fd() const { return read_fd_; }

 private:
  WakePipe(int read_fd, int write_fd) : read_fd_(read_fd), write_fd_(write_fd) {}

  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace jobq::client_internal
