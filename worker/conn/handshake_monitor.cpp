#include "worker/conn/handshake_monitor.h"

#include <cstring>

#include "common/log.h"

namespace jobq::worker {

bool HandshakeMonitor::Attach(zmq::context_t& context, zmq::socket_t& socket) {
  Detach();
  // A fresh name per watch: the endpoint of a closed socket's monitor may
  // not be released yet when the next socket opens.
  const std::string endpoint =
      std::string("inproc://jobq-worker-monitor-") + std::to_string(++attached_);
  if (zmq_socket_monitor(socket.handle(), endpoint.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
    JOBQ_LOG(kWarning, "worker", "cannot_monitor_handshakes").Kv("why", zmq_strerror(zmq_errno()));
    return false;
  }
  try {
    pair_.emplace(context, zmq::socket_type::pair);
    pair_->set(zmq::sockopt::linger, 0);
    pair_->connect(endpoint);
  } catch (const zmq::error_t& error) {
    JOBQ_LOG(kWarning, "worker", "cannot_monitor_handshakes").Kv("why", error.what());
    pair_.reset();
    return false;
  }
  return true;
}

void HandshakeMonitor::Detach() { pair_.reset(); }

std::vector<HandshakeEvent> HandshakeMonitor::Take() {
  std::vector<HandshakeEvent> events;
  if (!pair_) {
    return events;
  }
  try {
    while (true) {
      zmq::message_t frame;
      if (!pair_->recv(frame, zmq::recv_flags::dontwait)) {
        break;
      }
      // Every event is two frames: [u16 event, u32 value] and the endpoint.
      if (frame.more()) {
        zmq::message_t endpoint;
        (void)pair_->recv(endpoint, zmq::recv_flags::none);
      }
      if (frame.size() < sizeof(uint16_t) + sizeof(uint32_t)) {
        continue;
      }
      HandshakeEvent event;
      std::memcpy(&event.event, frame.data(), sizeof(event.event));
      std::memcpy(&event.value, static_cast<const char*>(frame.data()) + sizeof(uint16_t),
                  sizeof(event.value));
      events.push_back(event);
    }
  } catch (const zmq::error_t& error) {
    JOBQ_LOG(kWarning, "worker", "monitor_failed").Kv("why", error.what());
  }
  return events;
}

std::optional<std::string> DescribeWorkerHandshakeFailure(const HandshakeEvent& event,
                                                          const std::string& own_public_key,
                                                          const std::string& broker) {
  const bool curve = !own_public_key.empty();
  switch (event.event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "the broker at " + broker + " refused this worker's key " +
             (curve ? own_public_key : std::string("(none)")) +
             std::string(": add it to the broker's --worker-keys (status ") +
             std::to_string(event.value) + "); retrying with backoff";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      if (event.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH && !curve) {
        return "the broker at " + broker +
               " requires CURVE authentication: give --broker-key FILE (the broker's .pub) and "
               "--curve-key FILE (this worker's .key, from `jobq keygen NAME`), or set "
               "JOBQ_BROKER_KEY and JOBQ_CURVE_KEY; retrying with backoff";
      }
      if (event.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        return "the broker at " + broker +
               " does not use CURVE, but this worker was given keys: drop --broker-key and "
               "--curve-key, or start the broker with --curve-secret-key; retrying with backoff";
      }
      return "the handshake with the broker at " + broker + " failed (ZeroMQ protocol error " +
             std::to_string(event.value) +
             "): is --broker-key the broker's public key, and is it a jobq broker? retrying "
             "with backoff";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      if (!curve) {
        return std::nullopt;  // a connection lost mid-handshake: the liveness timer copes
      }
      return "the broker at " + broker +
             " closed the connection during the CURVE handshake: either --broker-key is not its "
             "public key (compare it with the broker's .pub; the broker logs its public_key at "
             "start) or the broker does not use CURVE; retrying with backoff";
    default:
      return std::nullopt;
  }
}

}  // namespace jobq::worker
