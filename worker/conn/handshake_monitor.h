#pragma once
// HandshakeMonitor: watches the handshakes of the worker's DEALER through a
// ZeroMQ socket monitor, so that a broker refusing the worker's CURVE key
// (or wanting CURVE from a worker without keys, or holding another key than
// --broker-key says) is reported with what to change, instead of showing
// only as a broker that never answers. Also says what to log for each.
//
// Not thread-safe: the connection thread owns it, next to the socket.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace jobq::worker {

struct HandshakeEvent {
  uint16_t event = 0;  // ZMQ_EVENT_HANDSHAKE_*
  uint32_t value = 0;  // status code, protocol error or errno
};

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
  std::vector<HandshakeEvent> Take();

 private:
  std::optional<zmq::socket_t> pair_;
  uint64_t attached_ = 0;  // names each watch's inproc endpoint
};

// What to log for a failed handshake, with the fix; nullopt for events
// that are no failure. `own_public_key` is the worker's key in Z85, empty
// without CURVE.
std::optional<std::string> DescribeWorkerHandshakeFailure(const HandshakeEvent& event,
                                                          const std::string& own_public_key,
                                                          const std::string& broker);

}  // namespace jobq::worker
