#pragma once
// IoLoop: the body of a Client's I/O thread, the only code that touches
// the client's ZeroMQ sockets. Each turn it takes the callers' requests from
// Shared, sends SUBMIT / WAIT / SENTINEL, applies SUBMITTED / RESULT /
// ERROR to the futures, watches the connection through a socket monitor,
// and enforces the timeouts that keep callers from waiting forever on a
// broker that is not there (ZeroMQ's connect never fails by itself).
//
// Batch limit: a broker that refuses a SUBMIT for carrying more jobs than
// its --batch-max says how many it takes (ERROR TOO_LARGE with first_seq
// and batch_max); the jobs of that SUBMIT are re-sent the same way as after
// a reconnect, in SUBMITs of at most that many, which all later ones keep to.
//
// Reconnects: the DEALER is ZMQ_IMMEDIATE, so nothing is queued while no
// connection is up and what was queued on a lost one is dropped, never
// replayed behind the client's back. Every connection after the first
// starts with a re-send of the unacknowledged jobs (same client_seq, same
// submit_token, so the broker creates each at most once) before anything
// newer goes out.
//
// Not thread-safe: constructed on one thread, then Run() on the I/O thread
// only; the thread start and join order the hand-over.

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
#include "common/clock.h"
#include "common/transport/monitor_events.h"
#include "common/transport/zmq_messages.h"
#include "producer/client/client.h"
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
  static constexpr size_t kSubmitTokenPrefixBytes = 8;

  // Returns once Shared::stop is set; fails what is still pending with
  // kCancelled and closes the sockets.
  void Run();

 private:
  // A job sent and not yet acknowledged: kept whole, so a new connection
  // can send it again.
  struct PendingAck {
    std::shared_ptr<FutureState> state;
    wire::JobSpec job;  // moved out only while a SUBMIT carrying it is being sent
    TimeMs sent_at;     // of the latest send
    // The client made job.submit_token: the caller gave none.
    bool own_token = false;
    // first_seq of the SUBMIT of the latest send: a refusal names it.
    uint64_t batch_first_seq = 0;
    // To be sent again (a new connection, or its SUBMIT was refused).
    bool resend = false;
  };

  void RunLoop();
  // Moves the callers' requests out of Shared. False once stop is set.
  bool TakeRequests();
  void SendPending(TimeMs now);
  bool ShouldHoldBatch() const;
  void SendSubmitBatch(TimeMs now);
  // Sends the next SUBMIT of the re-send that follows a reconnect.
  void ResendBatch(TimeMs now);
  bool BatchHasRoom(const wire::Submit& submit, size_t batch_bytes, size_t job_bytes) const;
  // Sends `submit`, whose jobs are pending_acks_ from its first_seq on,
  // then moves the jobs back into their PendingAcks.
  void OnSendRefused();
  void SendSubmit(wire::Submit* submit);
  void SetSubmitToken(uint64_t seq, wire::JobSpec* job) const;
  void SendWaits(TimeMs now);
  void ReceiveFromBroker(TimeMs now);
  void HandleSubmitted(std::string_view body, TimeMs now);
  void HandleResults(std::string_view body);
  void HandleError(std::string_view body);
  // A TOO_LARGE refusal of a SUBMIT: learns the broker's batch limit and
  // schedules the refused jobs' re-send. False when the error does not say
  // what to do instead (an older broker), which fails the client.
  bool OnBatchRefused(const wire::Error& error);
  // Marks the unacknowledged job `seq` to be sent again before anything newer.
  void MarkForResend(uint64_t seq, PendingAck& pending);
  void ReceiveMonitorEvents(TimeMs now);
  void OnReconnected(TimeMs now);
  // A CURVE handshake failed: fails the client with what to change, or
  // waits for the next attempt when the failure may be passing.
  void OnHandshakeFailed(const MonitorEvent& event);
  // Fails the sentinels sent on a lost connection, and only them.
  void FailUnconfirmedSentinels();
  void CheckDeadlines(TimeMs now);
  // Fails the client when a SUBMIT or SENTINEL was not acknowledged within
  // connect_timeout_ms. Only while connected.
  void CheckAckDeadlines(TimeMs now);
  // When waiting for an ack sent at `sent_at` started: any ack, or a new
  // connection, restarts the wait.
  TimeMs AckWaitStart(TimeMs sent_at) const;
  // What the caller should know about requests whose fate a failure leaves unknown.
  std::string UnknownFateText() const;
  // How long the broker may go unreached: connect_timeout_ms until it has
  // answered once, reconnect_timeout_ms after.
  int64_t UnreachableLimitMs() const;
  std::string ClosedUnansweredText() const;
  std::optional<TimeMs> NextDeadline() const;
  // Fails every pending request and every later one with `status`.
  void Fail(const absl::Status& status);
  bool HasPendingWork() const;
  // True when something is ready to go but the socket is not writable.
  bool BlockedOnWrite() const;
  bool Writable();
  std::string TimeoutText(int64_t timeout_ms) const;

  const ClientOptions options_;
  const Clock& clock_;
  const std::shared_ptr<Shared> shared_;
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
  const std::string token_prefix_;
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
    std::string queue;
    TimeMs sent_at;
  };
  std::deque<PendingSentinel> sentinels_unconfirmed_;  // sent, not yet acknowledged
  uint64_t next_seq_ = 1;
  // Set while jobs are marked for a re-send: none is below this
  // client_seq. Newer requests wait until the re-send is done, so they stay
  // behind older jobs.
  std::optional<uint64_t> resend_from_seq_;
  // Jobs per SUBMIT: options_.batch_jobs_max, or less once the broker said so.
  size_t batch_jobs_max_;

  bool connected_ = false;
  bool ever_connected_ = false;
  bool heard_from_broker_ = false;
  bool answered_on_connection_ = false;  // on the current connection
  // Connections closed before the broker sent anything on them.
  uint64_t closed_unanswered_ = 0;
  // Handshakes closed by the broker without a reason since the last good one.
  int silent_handshake_failures_ = 0;
  bool failed_ = false;
  std::optional<TimeMs> unreachable_since_;
  TimeMs last_ack_at_{};
  TimeMs reconnected_at_{};
  TimeMs next_wait_resend_at_{};
};

}  // namespace jobq::client_internal
