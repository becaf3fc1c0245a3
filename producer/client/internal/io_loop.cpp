#include "producer/client/internal/io_loop.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/curve_keys.h"
#include "common/framing.h"
#include "producer/client/internal/message_sink.h"

namespace jobq::client_internal {
namespace {

// The session's messages go out on the DEALER.
class DealerSink final : public MessageSink {
 public:
  explicit DealerSink(zmq::socket_t& dealer) : dealer_(dealer) {}

  bool Ready() override { return (dealer_.get(zmq::sockopt::events) & ZMQ_POLLOUT) != 0; }
  bool Send(Command command, const google::protobuf::MessageLite& body) override {
    return SendMessage(dealer_, "", command, body, &scratch_);
  }

 private:
  zmq::socket_t& dealer_;
  std::string scratch_;
};

}  // namespace

IoLoop::IoLoop(const ClientOptions& options, std::shared_ptr<Shared> shared, zmq::socket_t dealer,
               zmq::socket_t monitor, std::string token_prefix)
    : options_(options),
      clock_(options_.clock != nullptr ? *options_.clock : DefaultMonotonicClock()),
      shared_(std::move(shared)),
      dealer_(std::move(dealer)),
      monitor_(std::move(monitor)),
      session_(options_, shared_, std::move(token_prefix)) {}

void IoLoop::Run() {
  try {
    RunLoop();
  } catch (const zmq::error_t& error) {
    // Only a broken context or an exhausted process gets here; callers must
    // still be released.
    session_.Fail(
        absl::InternalError(absl::StrCat("the client's ZeroMQ I/O failed: ", error.what())));
  }
  // Flush queued messages (a sentinel, say) only when a broker is there to
  // take them; otherwise closing must not wait at all.
  const int linger_ms = session_.connected() && !session_.failed()
                            ? static_cast<int>(std::min<int64_t>(1000, options_.connect_timeout_ms))
                            : 0;
  session_.Fail(absl::CancelledError("the client was closed before the broker answered"));
  dealer_.set(zmq::sockopt::linger, linger_ms);
  StopMonitor(dealer_, monitor_);
  dealer_.close();
  monitor_.close();
}

void IoLoop::RunLoop() {
  // Woken through shared_->wake, which TakeRequests() empties before the
  // clock is read.
  const ClockSleeper sleeper(clock_, [shared = shared_] { shared->wake.Notify(); });
  DealerSink sink(dealer_);
  session_.Start(clock_.NowMs());
  while (TakeRequests()) {
    TimeMs now = clock_.NowMs();
    session_.SendPending(now, sink);
    session_.CheckDeadlines(now);

    const std::chrono::milliseconds timeout(sleeper.PollTimeoutMs(session_.NextDeadline()));
    // What the session still wants to send waits for the DEALER to be writable.
    const short dealer_events =
        static_cast<short>(ZMQ_POLLIN | (session_.WantsToSend() ? ZMQ_POLLOUT : 0));
    std::array<zmq::pollitem_t, 3> items = {{
        {dealer_.handle(), 0, dealer_events, 0},
        {monitor_.handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, shared_->wake.fd(), ZMQ_POLLIN, 0},
    }};
    try {
      zmq::poll(items.data(), items.size(), timeout);
    } catch (const zmq::error_t& error) {
      if (error.num() != EINTR) {
        throw;
      }
    }
    now = clock_.NowMs();
    // Messages first: what a lost connection delivered before it went down
    // (a sentinel's ack, say) must count before the reconnect is handled.
    ReceiveFromBroker(now);
    ReceiveMonitorEvents(now);
  }
}

bool IoLoop::TakeRequests() {
  shared_->wake.Drain();
  return session_.TakeRequests();
}

void IoLoop::ReceiveFromBroker(TimeMs now) {
  while (ReceiveMessage(dealer_, Channel::kBrokerToClient, /*has_routing_id=*/false, &received_)) {
    session_.OnBrokerMessage(received_.decoded, now);
  }
}

void IoLoop::ReceiveMonitorEvents(TimeMs now) {
  while (std::optional<MonitorEvent> event = ReceiveMonitorEvent(monitor_)) {
    if (event->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
        event->event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
        event->event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
      OnHandshakeFailed(*event);
    } else if (event->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      // A second connection (a new leader while a paused one's is still
      // open) is no reconnect: nothing was lost yet.
      if (connected_endpoints_.insert(event->endpoint).second && connected_endpoints_.size() == 1) {
        session_.OnConnected(now);
      }
    } else if (event->event == ZMQ_EVENT_DISCONNECTED) {
      const bool was_up = connected_endpoints_.erase(event->endpoint) > 0;
      if (connected_endpoints_.empty()) {
        session_.OnDisconnected();
      } else if (was_up) {
        // What the DEALER spread onto the lost connection is gone with it,
        // while another is still up: the same as a reconnect there.
        session_.OnDisconnected();
        session_.OnConnected(now);
      }
    }
  }
}

void IoLoop::OnHandshakeFailed(const MonitorEvent& event) {
  if (session_.failed()) {
    return;
  }
  const HandshakeClient self{
      "producer",
      options_.curve_public_key.empty() ? std::string() : curve::ToZ85(options_.curve_public_key),
      options_.broker_endpoint};
  std::optional<std::string> why = DescribeHandshakeFailure(event, self);
  if (!why) {
    return;  // a connection lost on the way, which reconnecting copes with
  }
  HandshakeFailure failure = HandshakeFailure::kProtocol;
  if (event.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    failure = HandshakeFailure::kAuth;
  } else if (event.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
    failure = HandshakeFailure::kNoDetail;
  }
  session_.OnHandshakeFailed(failure, *why);
}

}  // namespace jobq::client_internal
