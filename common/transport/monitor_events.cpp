#include "common/transport/monitor_events.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace jobq {

// Each event is two frames: [event number (uint16) and value (uint32), in
// the host's byte order] [the endpoint it concerns].
std::optional<MonitorEvent> ReceiveMonitorEvent(zmq::socket_t& monitor) {
  zmq::message_t frame;
  if (!monitor.recv(frame, zmq::recv_flags::dontwait)) {
    return std::nullopt;
  }
  MonitorEvent event;
  bool well_formed = frame.size() == sizeof(event.event) + sizeof(event.value);
  if (well_formed) {
    std::memcpy(&event.event, frame.data(), sizeof(event.event));
    std::memcpy(&event.value, static_cast<const char*>(frame.data()) + sizeof(event.event),
                sizeof(event.value));
  }
  bool more = frame.more();
  if (more) {
    zmq::message_t endpoint;
    (void)monitor.recv(endpoint, zmq::recv_flags::none);
    event.endpoint = endpoint.to_string();
    more = endpoint.more();
  } else {
    well_formed = false;
  }
  // Only libzmq writes here, but a message is always taken whole.
  while (more) {
    zmq::message_t extra;
    (void)monitor.recv(extra, zmq::recv_flags::none);
    more = extra.more();
    well_formed = false;
  }
  if (!well_formed) {
    event.event = 0;
    event.value = 0;
  }
  return event;
}

void StopMonitor(zmq::socket_t& monitored, zmq::socket_t& monitor) {
  // Under the monitor's own lock in libzmq: no event is sent after it.
  (void)zmq_socket_monitor(monitored.handle(), nullptr, 0);
  try {
    while (ReceiveMonitorEvent(monitor)) {
    }
  } catch (const zmq::error_t&) {
    // Closing follows anyway; a PAIR that cannot be read leaks nothing more.
  }
}

std::optional<std::string> DescribeHandshakeFailure(const MonitorEvent& event,
                                                    const HandshakeClient& client) {
  const bool curve = !client.public_key.empty();
  switch (event.event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      // The broker's ZAP handler said no (400): only its allow-list can
      // change that.
      return absl::StrCat("the broker at ", client.broker, " refused this ", client.role, "'s key ",
                          curve ? client.public_key : std::string("(none)"),
                          ": add it to the broker's --", client.role, "-keys (status ", event.value,
                          ")");
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      if (event.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH && !curve) {
        return absl::StrCat(
            "the broker at ", client.broker,
            " requires CURVE authentication: give --broker-key FILE (the broker's .pub) and "
            "--curve-key FILE (this ",
            client.role,
            "'s .key, from `jobq keygen NAME`), or set JOBQ_BROKER_KEY and JOBQ_CURVE_KEY");
      }
      if (event.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        return absl::StrCat("the broker at ", client.broker, " does not use CURVE, but this ",
                            client.role,
                            " was given keys: drop --broker-key and --curve-key, or start the "
                            "broker with --curve-secret-key");
      }
      return absl::StrCat("the ", curve ? "CURVE " : "", "handshake with the broker at ",
                          client.broker, " failed (ZeroMQ protocol error 0x",
                          absl::Hex(event.value),
                          "): is --broker-key the broker's public key, and is it a jobq broker?");
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      // A CURVE broker closes the connection on a HELLO sealed for another
      // key, and so does a plaintext one on a CURVE client.
      if (!curve) {
        return std::nullopt;
      }
      return absl::StrCat(
          "the broker at ", client.broker,
          " closed the connection during the CURVE handshake: either --broker-key is not its "
          "public key (compare it with the broker's .pub; the broker logs its public_key at "
          "start) or the broker does not use CURVE (start it with --curve-secret-key, or drop "
          "--broker-key and --curve-key)");
    default:
      return std::nullopt;
  }
}

}  // namespace jobq
