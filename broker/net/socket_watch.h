#pragma once
// SocketWatch: the socket monitor of one of the broker's ROUTER sockets
// (frontend or backend). It keeps a ConnectionTable of the socket's
// connections and cuts each one accepted beyond --connections-max, so
// that unfinished messages hold at most connections-max × message-max on
// the socket (libzmq has no budget across connections). It also hands the
// socket's failed handshakes, but for those of connections it cut, to a
// callback: with CURVE on, the ZAP handler counts them. libzmq allows one
// monitor per socket, hence one watch for both jobs.
//
// Cutting: libzmq offers no call to drop one peer, so the watch shuts the
// connection's descriptor down (shutdown(2), never close(2): the
// descriptor stays libzmq's). libzmq then reads the end of the stream,
// reports the disconnect and frees the connection. A write libzmq makes
// to it meanwhile fails with EPIPE, so the process must ignore SIGPIPE
// (BrokerLoop::Bind does).
//
// Not thread-safe: the broker loop owns it and calls Serve() when
// events() is readable.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "broker/net/connection_table.h"
#include "common/clock.h"

namespace jobq::broker::net {

class SocketWatch {
 public:
  // A ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL or _NO_DETAIL event, its value
  // and the endpoint it names.
  using HandshakeFailed =
      std::function<void(uint16_t event, uint32_t value, std::string_view endpoint)>;

  // `name` ("frontend", "backend") is for the log; `connections_max` >= 1.
  SocketWatch(zmq::context_t& context, std::string name, size_t connections_max);

  // Starts monitoring `socket`, which must be in the same context. Call
  // before it binds, so that no connection goes unseen.
  [[nodiscard]] absl::Status Watch(zmq::socket_t& socket);
  zmq::socket_t& events() { return events_; }

  // Handles up to `max_events` waiting events without blocking, then cuts
  // the connections found over the bound.
  void Serve(TimeMs now_ms, int max_events, const HandshakeFailed& on_handshake_failed);

  const ConnectionTable& connections() const { return table_; }

 private:
  // Whether `fd` is a connection to this socket's listening address: the
  // check that a descriptor was not closed and reused for something else
  // between its event and the cut.
  bool OfOurListener(int fd) const;
  // One line per window at most: a client refused over and over
  // reconnects every 100 ms.
  void LogCuts(TimeMs now_ms);
  // Hands the held handshake failure on, unless it was the end of a
  // connection cut here (`disconnected_fd`, -1 for none).
  void PassOnFailure(int disconnected_fd, const HandshakeFailed& on_handshake_failed);

  const std::string name_;
  const size_t connections_max_;
  zmq::socket_t events_;
  ConnectionTable table_;
  std::optional<sockaddr_storage> listener_address_;  // from ZMQ_EVENT_LISTENING
  std::vector<int> to_cut_;
  // A failed handshake waits for the event after it: libzmq reports the
  // connection's end right after, and a cut connection's is no failure.
  struct Failure {
    uint16_t event;
    uint32_t value;
    std::string endpoint;
  };
  std::optional<Failure> held_failure_;
  TimeMs last_log_ms_ = 0;
  uint64_t cut_logged_ = 0;  // cut_total() at the last line
};

}  // namespace jobq::broker::net
