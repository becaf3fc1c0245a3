#pragma once
// Reading libzmq's socket monitor (zmq_socket_monitor) off the PAIR socket
// connected to its endpoint, and what a failed handshake means to a client
// of the broker (a worker or a producer), with the fix to make.
//
// A socket is used by one thread at a time, so is ReceiveMonitorEvent.

#include <cstdint>
#include <optional>
#include <string>
#include <zmq.hpp>

namespace jobq {

struct MonitorEvent {
  uint16_t event = 0;  // ZMQ_EVENT_*; 0 for a malformed event
  uint32_t value = 0;  // descriptor, status code, protocol error or errno
  std::string endpoint;
};

// The next event, without blocking; nullopt when none is waiting. Throws
// zmq::error_t as cppzmq does.
std::optional<MonitorEvent> ReceiveMonitorEvent(zmq::socket_t& monitor);

// Stops the monitor of `monitored` and reads what it had queued on
// `monitor`; call it before closing either. libzmq (4.3.4) leaks an event
// its I/O thread writes to a monitor PAIR that is closed unread, such as
// the DISCONNECTED that closing `monitored` itself sets off.
void StopMonitor(zmq::socket_t& monitored, zmq::socket_t& monitor);

// Who failed a handshake with the broker.
struct HandshakeClient {
  std::string role;        // "worker" or "producer": the broker's --ROLE-keys
  std::string public_key;  // its own key in Z85; empty without CURVE
  std::string broker;      // the broker's endpoint
};

// What to tell people about a failed handshake and what to change; nullopt
// for an event that is no failure, and for a handshake closed without a
// reason when the client has no CURVE keys (a connection lost on the way,
// which reconnecting copes with).
std::optional<std::string> DescribeHandshakeFailure(const MonitorEvent& event,
                                                    const HandshakeClient& client);

}  // namespace jobq
