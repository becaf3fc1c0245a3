#pragma once
// WakeFd: a Linux eventfd that wakes the connection thread's zmq::poll()
// from another thread or from a signal handler. zmq::poll() can watch a
// plain file descriptor next to its sockets, and unlike a ZeroMQ socket an
// eventfd may be written by any thread, and safely from a signal handler.
//
// Thread-safe; Notify() is also async-signal-safe.

namespace jobq::worker {

class WakeFd {
 public:
  WakeFd();  // aborts when the kernel has no descriptor left (at startup)
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  ~WakeFd();

  // Makes fd() readable until the next Drain(). Async-signal-safe.
  void Notify() const;
  // Makes fd() unreadable again. Never blocks.
  void Drain() const;
  // For a zmq_pollitem_t with ZMQ_POLLIN.
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace jobq::worker
