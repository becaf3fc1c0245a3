#include "worker/stop_signals.h"

#include <atomic>

#include "common/check.h"

namespace jobq::worker {
namespace {

// The handler reaches the connection only through this lock-free pointer.
std::atomic<BrokerConnection*> g_connection{nullptr};
static_assert(std::atomic<BrokerConnection*>::is_always_lock_free);

std::atomic<int> g_signals_seen{0};
static_assert(std::atomic<int>::is_always_lock_free);

// The first SIGTERM/SIGINT drains; the next one stops now (DESIGN §5).
void HandleStopSignal(int) {
  BrokerConnection* connection = g_connection.load();
  if (connection == nullptr) {
    return;
  }
  if (g_signals_seen.fetch_add(1) == 0) {
    connection->RequestDrain();
  } else {
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
  g_signals_seen.store(0);
}

}  // namespace jobq::worker
