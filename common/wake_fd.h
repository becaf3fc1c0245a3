#pragma once
// WakeFd: a Linux eventfd that wakes a thread blocked in poll() or
// zmq::poll() (which watches plain descriptors next to its sockets) from
// another thread or from a signal handler. Unlike a ZeroMQ socket it may be
// written by any thread; unlike a self-pipe it is one descriptor and never
// fills up. Notifications coalesce: one Drain() clears any number.
//
// Thread-safe; Notify() is also async-signal-safe.

#include "absl/status/statusor.h"

namespace jobq {

class WakeFd {
 public:
  // INTERNAL when the process has no descriptor left.
  static absl::StatusOr<WakeFd> Create();
  // For a program's own parts at startup, where that is fatal: aborts.
  static WakeFd CreateOrDie();

  WakeFd(WakeFd&& other) noexcept;
  WakeFd& operator=(WakeFd&& other) = delete;
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  ~WakeFd();

  // Makes fd() readable until the next Drain(). Async-signal-safe.
  void Notify() const;
  // Makes fd() unreadable again. Never blocks.
  void Drain() const;
  // To poll for readability (POLLIN, ZMQ_POLLIN).
  int fd() const { return fd_; }

 private:
  explicit WakeFd(int fd) : fd_(fd) {}

  int fd_;
};

}  // namespace jobq
