#include "worker/conn/handshake_monitor.h"

#include <string>
#include <utility>

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

std::vector<MonitorEvent> HandshakeMonitor::Take() {
  std::vector<MonitorEvent> events;
  if (!pair_) {
    return events;
  }
  try {
    while (std::optional<MonitorEvent> event = ReceiveMonitorEvent(*pair_)) {
      events.push_back(std::move(*event));
    }
  } catch (const zmq::error_t& error) {
    JOBQ_LOG(kWarning, "worker", "monitor_failed").Kv("why", error.what());
  }
  return events;
}

}  // namespace jobq::worker
