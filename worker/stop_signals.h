#pragma once
// ScopedStopSignals: while alive, the first SIGTERM or SIGINT asks a
// BrokerConnection to drain (RequestDrain()) and the next one to stop now
// (RequestStop()): each a flag and an eventfd write, both safe in a signal
// handler; the loop does the rest (DESIGN §5). Afterwards the previous
// handlers are back, so a signal during the final pool shutdown ends the
// process the usual way.
//
// At most one instance per process. Create and destroy on one thread.

#include <signal.h>

#include "worker/conn/broker_connection.h"

namespace jobq::worker {

class ScopedStopSignals {
 public:
  // `connection` must outlive this object.
  explicit ScopedStopSignals(BrokerConnection* connection);
  ScopedStopSignals(const ScopedStopSignals&) = delete;
  ScopedStopSignals& operator=(const ScopedStopSignals&) = delete;
  ~ScopedStopSignals();

 private:
  struct sigaction previous_term_ {};
  struct sigaction previous_int_ {};
};

}  // namespace jobq::worker
