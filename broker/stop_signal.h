#pragma once
// The broker process's stop request: SIGTERM, SIGINT, or `jobq shutdown`
// asked of a standby. One per process; the loop that serves, if any, is
// stopped by it too, and a standby's wait is woken.

namespace jobq {
class WakeFd;
}
namespace jobq::broker::net {
class BrokerLoop;
}

namespace jobq::broker::stop_signal {

// Installs the handlers for SIGTERM and SIGINT. Call once, first.
void Install();
// Async-signal-safe; any thread.
void Request();
bool Requested();
// Readable once a stop was requested (for poll()).
const WakeFd& Wake();
// The loop a request stops from now on (null: none). A request that came
// before is passed on at once.
void SetLoop(net::BrokerLoop* loop);

}  // namespace jobq::broker::stop_signal
