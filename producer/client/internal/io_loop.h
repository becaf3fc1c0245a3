#pragma once
// IoLoop: the body of a Client's I/O thread, the only code that touches
// the client's ZeroMQ sockets. Each turn it takes the callers' requests from
// Shared, sends SUBMIT / WAIT / SENTINEL, applies SUBMITTED / RESULT /
// ERROR to the futures, watches the connection through a socket monitor,
// and enforces the timeouts that keep callers from waiting forever on a
// broker that is not there (ZeroMQ's connect never fails by itself).
//
// Not thread-safe: constructed on one thread, then Run() on the I/O thread
// only; the thread start and join order the hand-over.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "common/transport/zmq_messages.h"
#include "producer/client/client.h"
#include "producer/client/internal/shared_state.h"

namespace jobq::client_internal {

class IoLoop {
 public:
  // `dealer` is connected (or connecting) to the broker; `monitor` is a
  // PAIR connected to the dealer's monitor endpoint.
  IoLoop(const ClientOptions& options, std::shared_ptr<Shared> shared, zmq::socket_t dealer,
         zmq::socket_t monitor);

  // Returns once Shared::stop is set; fails what is still pending with
  // kCancelled and closes the sockets.
  void Run();

 private:
  using SteadyClock = std::chrono::steady_clock;
  using TimePoint = SteadyClock::time_point;

  struct PendingAck {
    std::shared_ptr<FutureState> state;
    TimePoint sent_at;
  };

  void RunLoop();
  // Moves the callers' requests out of Shared. False once stop is set.
  bool TakeRequests();
  void SendPending(TimePoint now);
  bool ShouldHoldBatch() const;
  void SendSubmitBatch(TimePoint now);
  void SendWaits(TimePoint now);
  void ReceiveFromBroker(TimePoint now);
  void HandleSubmitted(std::string_view body, TimePoint now);
  void HandleResults(std::string_view body);
  void HandleError(std::string_view body);
  void ReceiveMonitorEvents(TimePoint now);
  void CheckDeadlines(TimePoint now);
  std::optional<TimePoint> NextDeadline() const;
  // Fails every pending request and every later one with `status`.
  void Fail(const absl::Status& status);
  bool HasPendingWork() const;
  // True when something is ready to go but the socket is not writable.
  bool BlockedOnWrite() const;
  bool Writable();
  std::string TimeoutText(int64_t timeout_ms) const;

  const ClientOptions options_;
  const std::shared_ptr<Shared> shared_;
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
  std::string scratch_;
  ReceivedMessage received_;

  std::deque<OutItem> unsent_;
  std::map<uint64_t, PendingAck> pending_acks_;  // by client_seq; begin() is the oldest
  std::unordered_map<JobId, std::vector<std::shared_ptr<FutureState>>> waiting_;
  std::vector<JobId> new_wait_ids_;
  bool resend_all_waits_ = false;
  std::vector<JobId> wait_send_;  // ids of the WAIT messages being sent, from wait_send_pos_
  size_t wait_send_pos_ = 0;
  struct PendingSentinel {
    std::shared_ptr<FutureState> state;
    TimePoint sent_at;
  };
  std::deque<PendingSentinel> sentinels_unconfirmed_;  // sent, not yet acknowledged
  uint64_t next_seq_ = 1;

  bool connected_ = false;
  bool ever_connected_ = false;
  bool heard_from_broker_ = false;
  bool failed_ = false;
  std::optional<TimePoint> unreachable_since_;
  TimePoint last_ack_at_{};
  TimePoint next_wait_resend_at_{};
};

}  // namespace jobq::client_internal
