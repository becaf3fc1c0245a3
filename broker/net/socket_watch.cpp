#include "broker/net/socket_watch.h"

#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <optional>
#include <utility>

#include "common/log.h"
#include "common/transport/monitor_events.h"

namespace jobq::broker::net {
namespace {

constexpr TimeMs kCutLogWindowMs = 10'000;

constexpr int kEvents = ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;

std::optional<sockaddr_storage> LocalAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return std::nullopt;
  }
  return address;
}

}  // namespace

SocketWatch::SocketWatch(zmq::context_t& context, std::string name, size_t connections_max)
    : name_(std::move(name)),
      connections_max_(connections_max),
      events_(context, zmq::socket_type::pair),
      table_(connections_max) {
  events_.set(zmq::sockopt::linger, 0);
}

absl::Status SocketWatch::Watch(zmq::socket_t& socket) {
  const std::string endpoint = "inproc://jobq-watch-" + name_;
  try {
    if (zmq_socket_monitor(socket.handle(), endpoint.c_str(), kEvents) != 0) {
      throw zmq::error_t();
    }
    events_.connect(endpoint);
  } catch (const zmq::error_t& error) {
    return absl::InternalError("cannot watch the connections of the " + name_ + " on " + endpoint +
                               ": " + error.what());
  }
  return absl::OkStatus();
}

// The value of LISTENING, ACCEPTED and DISCONNECTED is the descriptor.
void SocketWatch::Serve(TimeMs now_ms, int max_events, const HandshakeFailed& on_handshake_failed) {
  for (int i = 0; i < max_events; ++i) {
    std::optional<MonitorEvent> received;
    try {
      received = ReceiveMonitorEvent(events_);
    } catch (const zmq::error_t& error) {
      JOBQ_LOG(kWarning, "broker", "socket_events_failed")
          .Kv("socket", name_)
          .Kv("why", error.what());
      break;
    }
    if (!received) {
      break;
    }
    if (received->event == 0) {
      continue;  // malformed; only libzmq writes here
    }
    const uint16_t event = received->event;
    const uint32_t value = received->value;
    const int fd = static_cast<int>(value);
    PassOnFailure(event == ZMQ_EVENT_DISCONNECTED ? fd : -1, on_handshake_failed);
    switch (event) {
      case ZMQ_EVENT_LISTENING:
        listener_address_ = LocalAddress(fd);
        break;
      case ZMQ_EVENT_ACCEPTED:
        if (!table_.Accepted(fd)) {
          to_cut_.push_back(fd);
        }
        break;
      case ZMQ_EVENT_DISCONNECTED:
        table_.Disconnected(fd);
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        held_failure_ = Failure{event, value, std::move(received->endpoint)};
        break;
      default:
        break;
    }
  }
  // After reading what was queued, so that a connection already reported
  // gone (its descriptor perhaps reused) is not cut.
  for (int fd : to_cut_) {
    if (table_.IsCut(fd) && OfOurListener(fd)) {
      (void)shutdown(fd, SHUT_RDWR);
    }
  }
  if (!to_cut_.empty()) {
    to_cut_.clear();
    LogCuts(now_ms);
  }
}

void SocketWatch::PassOnFailure(int disconnected_fd, const HandshakeFailed& on_handshake_failed) {
  if (!held_failure_) {
    return;
  }
  if (on_handshake_failed && (disconnected_fd < 0 || !table_.IsCut(disconnected_fd))) {
    on_handshake_failed(held_failure_->event, held_failure_->value, held_failure_->endpoint);
  }
  held_failure_.reset();
}

bool SocketWatch::OfOurListener(int fd) const {
  std::optional<sockaddr_storage> local = LocalAddress(fd);
  if (!listener_address_ || !local || local->ss_family != listener_address_->ss_family) {
    return false;
  }
  switch (local->ss_family) {
    case AF_INET:
      return reinterpret_cast<const sockaddr_in*>(&*local)->sin_port ==
             reinterpret_cast<const sockaddr_in*>(&*listener_address_)->sin_port;
    case AF_INET6:
      return reinterpret_cast<const sockaddr_in6*>(&*local)->sin6_port ==
             reinterpret_cast<const sockaddr_in6*>(&*listener_address_)->sin6_port;
    case AF_UNIX:
      return std::strncmp(reinterpret_cast<const sockaddr_un*>(&*local)->sun_path,
                          reinterpret_cast<const sockaddr_un*>(&*listener_address_)->sun_path,
                          sizeof(sockaddr_un::sun_path)) == 0;
    default:
      return false;
  }
}

void SocketWatch::LogCuts(TimeMs now_ms) {
  if (last_log_ms_ != 0 && now_ms - last_log_ms_ < kCutLogWindowMs) {
    return;
  }
  JOBQ_LOG(kWarning, "broker", "connections_max_reached")
      .Kv("socket", name_)
      .Kv("connections_max", connections_max_)
      .Kv("cut", table_.cut_total() - cut_logged_)
      .Kv("why",
          "a connection over --connections-max was closed; raise it if these are "
          "real producers or workers");
  last_log_ms_ = now_ms;
  cut_logged_ = table_.cut_total();
}

}  // namespace jobq::broker::net
