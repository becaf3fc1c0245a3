#pragma once
// ClientSession: the client's side of the broker protocol, as a state
// machine that touches no socket. It takes the callers' requests from
// Shared, the broker's messages decoded, the socket monitor's news of the
// connection and the time; it gives the messages to send (SUBMIT, WAIT,
// SENTINEL, WORKFLOW, to a MessageSink), completes and fails the futures, and says
// when it next has something to do. IoLoop runs it on the client's I/O
// thread; tests run it alone on a ManualClock.
//
// Batch limit: a broker that refuses a SUBMIT for carrying more jobs than
// its --batch-max says how many it takes (ERROR TOO_LARGE with first_seq
// and batch_max); the jobs of that SUBMIT are re-sent the same way as after
// a reconnect, in SUBMITs of at most that many, which all later ones keep to.
//
// Reconnects: the DEALER is ZMQ_IMMEDIATE, so nothing is queued while no
// connection is up and what was queued on a lost one is dropped, never
// replayed behind the client's back. Every connection after the first
// starts with a re-send of the unacknowledged jobs and unanswered
// workflows (same client_seq, same submit_token, so the broker creates each
// at most once) before anything newer goes out. A workflow answered as a
// duplicate has its nodes' outcomes asked for with WAIT: the broker may have
// pushed some before that answer. Sentinels are not re-sent: one sent on a lost connection
// fails once the next is up.
//
// Timeouts, which keep callers from waiting forever on a broker that is not
// there (ZeroMQ's connect never fails by itself): the broker must first
// answer within connect_timeout_ms, and connections it closes unanswered
// (as one at its --connections-max does, at once) do not restart that
// clock; a connection it keeps open kConnectionHeldMs counts as an answer,
// since a client that only waits (WAIT is not acknowledged) may hear
// nothing for as long as its jobs run; while
// connected, a SUBMIT or SENTINEL must be acknowledged within it; once the
// broker has answered, a lost connection gets reconnect_timeout_ms.
//
// Not thread-safe: one thread calls every method (IoLoop's, after it was
// handed over). Shared's fields are read and written under Shared::mutex.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/framing.h"
#include "jobq/wire.pb.h"
#include "producer/client/client.h"
#include "producer/client/internal/message_sink.h"
#include "producer/client/internal/shared_state.h"
#include "producer/client/internal/submit_queue.h"
#include "producer/client/internal/wait_set.h"

namespace jobq::client_internal {

// How a handshake with the broker failed, as the socket monitor says.
enum class HandshakeFailure {
  kAuth,      // the broker refused the key
  kProtocol,  // the two sides disagree (CURVE or not, which key)
  kNoDetail,  // closed without a reason
};

class ClientSession {
 public:
  // The random half of a submit_token; the other half is the job's client_seq.
  static constexpr size_t kSubmitTokenPrefixBytes = SubmitQueue::kSubmitTokenPrefixBytes;
  // How long a connection must stay open for the broker to count as
  // reached when it has sent nothing: a broker at --connections-max closes
  // one within its next loop iteration, far sooner.
  static constexpr TimeMs kConnectionHeldMs = 1000;
  // With several brokers (a comma-separated broker_endpoint): how long a
  // job or workflow may go unacknowledged on a live connection before it is
  // sent again. When one connection closes while another is up, ZeroMQ may
  // still route a re-send onto the closing one (its DISCONNECTED is reported
  // before the socket drops the pipe), where it is lost; a broker
  // acknowledges a job sent twice by its submit_token, creating it once.
  static constexpr TimeMs kSeveralBrokersResendMs = 3000;

  // `token_prefix` holds kSubmitTokenPrefixBytes random bytes, chosen once
  // per Client. options.clock is not read: every method that needs the
  // time is given it.
  ClientSession(const ClientOptions& options, std::shared_ptr<Shared> shared,
                std::string token_prefix);
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Starts the period of the WAIT re-sends at `now`.
  void Start(TimeMs now);

  // Moves the callers' requests out of Shared. False once Shared::stop is
  // set. The caller empties Shared::wake first.
  bool TakeRequests();

  // Sends what may go out, while `sink` is ready: nothing while not
  // connected; after a reconnect the re-send first. A message refused by
  // `sink` counts as a lost connection: it goes again on the next one.
  void SendPending(TimeMs now, MessageSink& sink);
  // Something would go out if the connection took it now.
  bool WantsToSend() const;

  // Fails the client when a timeout has run out.
  void CheckDeadlines(TimeMs now);
  // When CheckDeadlines or SendPending is next due; nullopt: nothing is timed.
  std::optional<TimeMs> NextDeadline() const;

  // A message from the broker, with decoded.error set when its frames are bad.
  void OnBrokerMessage(const DecodedFrames& decoded, TimeMs now);

  // The monitor's news: a handshake succeeded, so a connection is up.
  void OnConnected(TimeMs now);
  // The connection was lost.
  void OnDisconnected();
  // A handshake failed, and `why` says what to change: fails the client,
  // or waits for the next attempt when the failure may be passing.
  void OnHandshakeFailed(HandshakeFailure failure, const std::string& why);

  // Fails every pending request and every later one with `status`; only the
  // first call counts.
  void Fail(const absl::Status& status);

  bool connected() const { return connected_; }
  bool failed() const { return failed_; }

 private:
  void OnSendRefused();
  void HandleSubmitted(std::string_view body, TimeMs now);
  void HandleResults(std::string_view body);
  void HandleWorkflowSubmitted(std::string_view body, TimeMs now);
  // Completes the acks of the nodes of `state`. Call with Shared::mutex held.
  void AnswerWorkflow(const wire::WorkflowSubmitted& answer, WorkflowState& state,
                      ReadyFutures& ready);
  void HandleError(std::string_view body);
  void OnReconnected(TimeMs now);
  // Fails the sentinels sent on a lost connection, and only them.
  void FailUnconfirmedSentinels();
  // Fails the client when a SUBMIT or SENTINEL was not acknowledged within
  // connect_timeout_ms. Only while connected.
  void CheckAckDeadlines(TimeMs now);
  // With several brokers: sends again what went unacknowledged for
  // kSeveralBrokersResendMs.
  void ResendLongUnacknowledged(TimeMs now);
  // When waiting for an ack sent at `sent_at` started: any ack, or a new
  // connection, restarts the wait.
  TimeMs AckWaitStart(TimeMs sent_at) const;
  // kConnectionHeldMs, or less under a short connect timeout.
  TimeMs ConnectionHeldMs() const;
  // How long the broker may go unreached: connect_timeout_ms until it has
  // answered once, reconnect_timeout_ms after.
  int64_t UnreachableLimitMs() const;
  // What the caller should know about requests whose fate a failure leaves unknown.
  std::string UnknownFate() const;
  bool HasPendingWork() const;

  const ClientOptions options_;
  const std::shared_ptr<Shared> shared_;
  SubmitQueue submits_;
  WaitSet waits_;

  bool connected_ = false;
  bool ever_connected_ = false;
  bool heard_from_broker_ = false;
  bool answered_on_connection_ = false;  // on the current connection
  TimeMs connected_at_{};                // of the current connection
  // Connections closed before the broker sent anything on them.
  uint64_t closed_unanswered_ = 0;
  // Handshakes closed by the broker without a reason since the last good one.
  int silent_handshake_failures_ = 0;
  bool failed_ = false;
  const bool several_brokers_;
  std::optional<TimeMs> unreachable_since_;
  TimeMs last_ack_at_{};
  TimeMs reconnected_at_{};
};

}  // namespace jobq::client_internal
