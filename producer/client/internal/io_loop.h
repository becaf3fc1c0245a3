#pragma once
// IoLoop: the body of a Client's I/O thread, the only code that touches
// the client's ZeroMQ sockets: the DEALER to the broker and the PAIR its
// socket monitor reports on. Each turn it takes the callers' requests from
// Shared into the ClientSession, which holds the protocol (see
// client_session.h for its rules: batch limits, re-sends after a
// reconnect, timeouts, sentinels); lets the session send what may go out
// while the DEALER is writable; polls; and feeds the session what arrived:
// the broker's messages decoded, the monitor's connection events, the time
// from the injected Clock.
//
// Not thread-safe: constructed on one thread, then Run() on the I/O thread
// only; the thread start and join order the hand-over.

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/transport/monitor_events.h"
#include "common/transport/zmq_messages.h"
#include "producer/client/client.h"
#include "producer/client/internal/client_session.h"
#include "producer/client/internal/shared_state.h"

namespace jobq::client_internal {

class IoLoop {
 public:
  // `dealer` is connected (or connecting) to the broker; `monitor` is a
  // PAIR connected to the dealer's monitor endpoint. `token_prefix` holds
  // kSubmitTokenPrefixBytes random bytes, chosen once per Client.
  IoLoop(const ClientOptions& options, std::shared_ptr<Shared> shared, zmq::socket_t dealer,
         zmq::socket_t monitor, std::string token_prefix);

  // The random half of a submit_token; the other half is the job's client_seq.
  static constexpr size_t kSubmitTokenPrefixBytes = ClientSession::kSubmitTokenPrefixBytes;

  // Returns once Shared::stop is set; fails what is still pending with
  // kCancelled and closes the sockets.
  void Run();

 private:
  void RunLoop();
  // Moves the callers' requests into the session. False once stop is set.
  bool TakeRequests();
  void ReceiveFromBroker(TimeMs now);
  void ReceiveMonitorEvents(TimeMs now);
  void OnHandshakeFailed(const MonitorEvent& event);

  const ClientOptions options_;
  const Clock& clock_;
  const std::shared_ptr<Shared> shared_;
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
  ReceivedMessage received_;
  ClientSession session_;
  // Where a handshake succeeded and no disconnect followed yet: one broker,
  // or with several (a comma-separated broker_endpoint) briefly two.
  std::set<std::string> connected_endpoints_;
};

}  // namespace jobq::client_internal
