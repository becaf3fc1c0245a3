#pragma once
// HandshakeMonitor: watches the handshakes of the worker's DEALER through a
// ZeroMQ socket monitor, so that a broker refusing the worker's CURVE key
// (or wanting CURVE from a worker without keys, or holding another key than
// --broker-key says) is reported with what to change (common/transport/
// monitor_events.h), instead of showing only as a broker that never answers.
//
// Not thread-safe: the connection thread owns it, next to the socket.

#include <cstdint>
#include <optional>
#include <vector>
#include <zmq.hpp>

#include "common/transport/monitor_events.h"

namespace jobq::worker {

class HandshakeMonitor {
 public:
  // Starts watching `socket`; call before its connect(), or the first
  // handshake may go unseen. Replaces an earlier watch. False (after
  // logging) when ZeroMQ cannot monitor: the worker then runs without it.
  bool Attach(zmq::context_t& context, zmq::socket_t& socket);
  void Detach();
  // For zmq::poll; nullptr while detached.
  void* handle() { return pair_ ? pair_->handle() : nullptr; }
  // The events waiting, oldest first; never blocks.
  std::vector<MonitorEvent> Take();

 private:
  std::optional<zmq::socket_t> pair_;
  uint64_t attached_ = 0;  // names each watch's inproc endpoint
};

}  // namespace jobq::worker
