#include "worker/stop_signals.h"

#include <atomic>

#include "common/check.h"

namespace jobq::worker {
namespace {

// The handler reaches the connection only through this lock-free pointer.
std::atomic<BrokerConnection*> g_connection{nullptr};
static_assert(std::atomic<BrokerConnection*>::is_always_lock_free);

void HandleStopSignal(int) {
  if (BrokerConnection* connection = g_connection.load()) {
    connection->RequestStop();
  }
}

}  // namespace

ScopedStopSignals::ScopedStopSignals(BrokerConnection* connection) {
  BrokerConnection* expected = nullptr;
  JOBQ_CHECK(g_connection.compare_exchange_strong(expected, connection))
      << "one ScopedStopSignals at a time";
  struct sigaction action {};
  action.sa_handler = HandleStopSignal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: pool threads in blocking calls are not the ones to stop.
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, &previous_term_);
  sigaction(SIGINT, &action, &previous_int_);
}

ScopedStopSignals::~ScopedStopSignals() {
  sigaction(SIGTERM, &previous_term_, nullptr);
  sigaction(SIGINT, &previous_int_, nullptr);
  g_connection.store(nullptr);
}

}  // namespace jobq::worker
