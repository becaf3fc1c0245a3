#include "producer/client/internal/client_session.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "producer/client/internal/failure_texts.h"

namespace jobq::client_internal {

ClientSession::ClientSession(const ClientOptions& options, std::shared_ptr<Shared> shared,
                             std::string token_prefix)
    : options_(options),
      shared_(std::move(shared)),
      submits_(options.batch_jobs_max, options.batch_bytes_max, options.broker_endpoint,
               std::move(token_prefix)),
      waits_(options.wait_resend_interval_ms),
      several_brokers_(options.broker_endpoint.find(',') != std::string::npos) {}

void ClientSession::Start(TimeMs now) { waits_.Start(now); }

bool ClientSession::TakeRequests() {
  std::lock_guard lock(shared_->mutex);
  // Reset under the lock: a caller that queues after this signals again.
  shared_->wake_pending = false;
  if (shared_->stop) {
    return false;
  }
  for (OutItem& item : shared_->outbox) {
    submits_.Add(std::move(item));
  }
  shared_->outbox.clear();
  shared_->wake_after_jobs = submits_.unacknowledged_jobs() == 0 ? 1 : submits_.batch_jobs_max();
  for (std::shared_ptr<FutureState>& state : shared_->new_waits) {
    waits_.Register(std::move(state));
  }
  shared_->new_waits.clear();
  return true;
}

bool ClientSession::WantsToSend() const {
  if (!connected_) {
    return false;  // nothing may go out yet; the monitor wakes poll on a connection
  }
  return submits_.ReadyToSend() || waits_.ReadyToSend();
}

bool ClientSession::HasPendingWork() const { return submits_.HasWork() || !waits_.empty(); }

void ClientSession::SendPending(TimeMs now, MessageSink& sink) {
  // Until the monitor has reported the connection, a send could overtake
  // the re-send that a reconnect calls for, or be counted as made on the
  // lost connection.
  if (!connected_ || failed_) {
    return;
  }
  // WAITs only after the jobs: a refused send ends both, as the connection is gone.
  if (!submits_.SendPending(now, sink) || !waits_.SendPending(now, sink)) {
    OnSendRefused();
  }
}

void ClientSession::OnSendRefused() {
  // The sink said ready, yet the send was refused: the connection broke
  // in between, before the monitor told us. Wait for the next one, which
  // re-sends everything unacknowledged, instead of failing the client.
  JOBQ_LOG(kInfo, "client", "send_refused").Kv("broker", options_.broker_endpoint);
  connected_ = false;
}

void ClientSession::OnBrokerMessage(const DecodedFrames& decoded, TimeMs now) {
  heard_from_broker_ = true;
  answered_on_connection_ = true;
  if (failed_) {
    return;  // drain and drop: nobody is waiting any more
  }
  if (decoded.error != FrameError::kNone) {
    Fail(absl::FailedPreconditionError(
        absl::StrCat("the broker at ", options_.broker_endpoint, " sent a malformed message (",
                     decoded.ErrorText(), "): is it a jobq broker of the same version?")));
    return;
  }
  switch (decoded.command) {
    case Command::kSubmitted:
      HandleSubmitted(decoded.body, now);
      break;
    case Command::kClientResult:
      HandleResults(decoded.body);
      break;
    case Command::kWorkflowSubmitted:
      HandleWorkflowSubmitted(decoded.body, now);
      break;
    case Command::kError:
      HandleError(decoded.body);
      break;
    default:
      break;  // DecodeFrames admits only the four above on this channel
  }
}

void ClientSession::HandleSubmitted(std::string_view body, TimeMs now) {
  wire::Submitted submitted;
  if (!submitted.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    Fail(
        absl::FailedPreconditionError(absl::StrCat("the broker at ", options_.broker_endpoint,
                                                   " sent a SUBMITTED body that does not decode")));
    return;
  }
  last_ack_at_ = now;
  ReadyFutures ready(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    // The broker acknowledges sentinels in the order they were sent.
    submits_.ConfirmSentinels(submitted.sentinels());
    if (submitted.sentinels() > 0) {
      shared_->changed.notify_all();
    }
    for (const wire::SubmitAck& ack : submitted.acks()) {
      std::shared_ptr<FutureState> state = submits_.Acknowledge(ack);
      if (state == nullptr) {
        continue;
      }
      --shared_->window_used;
      if (submits_.unacknowledged_jobs() == 0) {
        shared_->wake_after_jobs = 1;  // nothing in flight: send the next job at once
      }
      if (state->notify && state->ack->accepted()) {
        waits_.Expect(state);
      }
      ready.AddIfDone(state);
    }
  }
  shared_->changed.notify_all();
}

void ClientSession::HandleWorkflowSubmitted(std::string_view body, TimeMs now) {
  wire::WorkflowSubmitted answer;
  if (!answer.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    Fail(absl::FailedPreconditionError(
        absl::StrCat("the broker at ", options_.broker_endpoint,
                     " sent a WORKFLOW_SUBMITTED body that does not decode")));
    return;
  }
  last_ack_at_ = now;
  ReadyFutures ready(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    std::shared_ptr<WorkflowState> state = submits_.TakeAnsweredWorkflow(answer);
    if (state == nullptr) {
      return;
    }
    shared_->window_used -= state->window_cost;
    if (submits_.unacknowledged_jobs() == 0) {
      shared_->wake_after_jobs = 1;
    }
    AnswerWorkflow(answer, *state, ready);
  }
  shared_->changed.notify_all();
}

void ClientSession::AnswerWorkflow(const wire::WorkflowSubmitted& answer, WorkflowState& state,
                                   ReadyFutures& ready) {
  state.answered = true;
  std::optional<JobId> id = JobId::FromBytes(answer.id());
  std::vector<JobId> node_ids;
  if (answer.error().type().empty() && id) {
    for (const std::string& bytes : answer.node_ids()) {
      std::optional<JobId> node_id = JobId::FromBytes(bytes);
      if (!node_id) {
        break;
      }
      node_ids.push_back(*node_id);
    }
  }
  if (!answer.error().type().empty() || !id || node_ids.size() != state.nodes.size()) {
    state.error = answer.error();
    if (state.error.type().empty()) {
      state.error.set_type("bad_response");
      state.error.set_message(absl::StrCat("the broker answered the workflow with ",
                                           answer.node_ids_size(), " node ids for ",
                                           state.nodes.size(), " nodes, or with a malformed id"));
    }
    // Nothing was created: every node is rejected with the workflow's reason.
    for (const auto& node : state.nodes) {
      SubmitAck rejected;
      rejected.error = state.error;
      node->ack = std::move(rejected);
      ready.AddIfDone(node);
    }
    return;
  }
  state.id = id;
  state.duplicate = answer.duplicate();
  for (size_t i = 0; i < state.nodes.size(); ++i) {
    const std::shared_ptr<FutureState>& node = state.nodes[i];
    SubmitAck accepted;
    accepted.id = node_ids[i];
    node->ack = std::move(accepted);
    if (node->notify) {
      if (answer.duplicate()) {
        // Nodes that finished before this answer had their outcomes pushed
        // ahead of it (or to the lost connection): ask for them.
        waits_.Register(node);
      } else {
        waits_.Expect(node);
      }
    }
    ready.AddIfDone(node);
  }
}

void ClientSession::HandleResults(std::string_view body) {
  wire::ClientResults results;
  if (!results.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    Fail(absl::FailedPreconditionError(absl::StrCat("the broker at ", options_.broker_endpoint,
                                                    " sent a RESULT body that does not decode")));
    return;
  }
  ReadyFutures ready(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    waits_.Complete(results, ready);
  }
  shared_->changed.notify_all();
}

void ClientSession::HandleError(std::string_view body) {
  wire::Error error;
  if (!error.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    error.Clear();
    error.set_text("(the ERROR body does not decode)");
  }
  if (error.code() == wire::ERROR_CODE_TOO_LARGE && submits_.OnBatchRefused(error)) {
    return;
  }
  // Any other ERROR names no job, so it cannot be pinned on one request;
  // failing all of them with the broker's words beats letting them time out.
  Fail(StatusForBrokerError(error, options_.broker_endpoint));
}

void ClientSession::OnConnected(TimeMs now) {
  silent_handshake_failures_ = 0;
  if (ever_connected_) {
    OnReconnected(now);
  }
  connected_ = true;
  ever_connected_ = true;
  answered_on_connection_ = false;
  connected_at_ = now;
}

void ClientSession::OnDisconnected() {
  if (connected_ && !answered_on_connection_ && HasPendingWork()) {
    ++closed_unanswered_;
  }
  connected_ = false;
  JOBQ_LOG(kInfo, "client", "broker_disconnected").Kv("broker", options_.broker_endpoint);
}

void ClientSession::OnHandshakeFailed(HandshakeFailure failure, const std::string& why) {
  if (failed_) {
    return;
  }
  // A handshake closed without a reason may also be a broker restarting at
  // that moment: a few in a row before failing.
  constexpr int kSilentFailuresMax = 3;
  if (failure == HandshakeFailure::kNoDetail && ++silent_handshake_failures_ < kSilentFailuresMax) {
    return;
  }
  // Waiting would only turn these into a timeout: the broker's allow-list
  // or the client's keys must change.
  Fail(failure == HandshakeFailure::kAuth ? absl::PermissionDeniedError(why)
                                          : absl::FailedPreconditionError(why));
}

void ClientSession::OnReconnected(TimeMs now) {
  // The new connection may be a restarted broker: it no longer knows who
  // waits for what, and it lost what it had not made durable. A job it did
  // keep is found by its submit_token and only acknowledged again.
  waits_.ResendAll();
  submits_.ResendAll();
  reconnected_at_ = now;
  FailUnconfirmedSentinels();
  JOBQ_LOG(kInfo, "client", "broker_reconnected")
      .Kv("broker", options_.broker_endpoint)
      .Kv("resubmitting", submits_.unacknowledged_jobs());
}

void ClientSession::FailUnconfirmedSentinels() {
  std::deque<SubmitQueue::SentSentinel> lost = submits_.TakeUnconfirmedSentinels();
  if (lost.empty()) {
    return;
  }
  // A sentinel carries no token, so a re-sent one could make a second
  // barrier: its caller decides, knowing the first may be there.
  {
    std::lock_guard lock(shared_->mutex);
    for (const SubmitQueue::SentSentinel& sentinel : lost) {
      sentinel.state->failure = LostSentinelStatus(options_.broker_endpoint, sentinel.queue);
    }
  }
  shared_->changed.notify_all();
}

TimeMs ClientSession::AckWaitStart(TimeMs sent_at) const {
  return std::max({sent_at, last_ack_at_, reconnected_at_});
}

std::string ClientSession::UnknownFate() const {
  return UnknownFateText(submits_.unacknowledged_jobs(), submits_.unconfirmed_sentinels(),
                         submits_.unanswered_workflows());
}

void ClientSession::CheckDeadlines(TimeMs now) {
  if (failed_) {
    return;
  }
  if (connected_) {
    CheckAckDeadlines(now);
    if (failed_) {
      return;
    }
  }
  // Only an answer, or a connection kept open, shows the broker is there: a
  // connection it accepts and closes unanswered (as a broker at its
  // --connections-max does) must not restart the clock, or the client would
  // reconnect forever. A lost
  // connection is not a slow ack: a broker restarting (and recovering its
  // store) gets reconnect_timeout_ms, and acks are awaited again from the
  // re-send on the new connection.
  if (connected_ && !answered_on_connection_ && now - connected_at_ >= ConnectionHeldMs()) {
    answered_on_connection_ = true;  // kept open: the broker took it
    heard_from_broker_ = true;
  }
  if ((connected_ && answered_on_connection_) || !HasPendingWork()) {
    unreachable_since_.reset();
    return;
  }
  if (!unreachable_since_) {
    unreachable_since_ = now;
  }
  const int64_t limit_ms = UnreachableLimitMs();
  if (now - *unreachable_since_ < limit_ms) {
    return;
  }
  if (heard_from_broker_) {
    Fail(absl::UnavailableError(absl::StrCat(
        "lost the connection to the broker at ", options_.broker_endpoint,
        " and could not reconnect within ", TimeoutText(limit_ms), ": is jobq-broker running?",
        ClosedUnansweredText(closed_unanswered_), UnknownFate())));
  } else {
    Fail(absl::UnavailableError(
        absl::StrCat("cannot reach the broker at ", options_.broker_endpoint, " (no reply in ",
                     TimeoutText(limit_ms), "): is jobq-broker running?",
                     ClosedUnansweredText(closed_unanswered_), UnknownFate())));
  }
}

TimeMs ClientSession::ConnectionHeldMs() const {
  // Well inside the connect timeout, however short it is set.
  return std::min<TimeMs>(kConnectionHeldMs, options_.connect_timeout_ms / 2);
}

int64_t ClientSession::UnreachableLimitMs() const {
  return heard_from_broker_ ? options_.reconnect_timeout_ms : options_.connect_timeout_ms;
}

void ClientSession::CheckAckDeadlines(TimeMs now) {
  const int64_t connect_timeout = options_.connect_timeout_ms;
  if (several_brokers_) {
    ResendLongUnacknowledged(now);
  }
  const std::optional<TimeMs> sentinel_sent_at = submits_.OldestSentinelSentAt();
  const std::optional<TimeMs> job_sent_at = submits_.OldestJobSentAt();
  const std::optional<TimeMs> workflow_sent_at = submits_.OldestWorkflowSentAt();
  const bool sentinel_late =
      sentinel_sent_at && now - AckWaitStart(*sentinel_sent_at) >= connect_timeout;
  const bool jobs_late = job_sent_at && now - AckWaitStart(*job_sent_at) >= connect_timeout;
  const bool workflow_late =
      workflow_sent_at && now - AckWaitStart(*workflow_sent_at) >= connect_timeout;
  if (!sentinel_late && !jobs_late && !workflow_late) {
    return;
  }
  if (!heard_from_broker_) {
    // Connected to something that never answers: not a jobq broker, or a hung one.
    Fail(absl::UnavailableError(absl::StrCat(
        "cannot reach the broker at ", options_.broker_endpoint, " (no reply in ",
        TimeoutText(options_.connect_timeout_ms), "): is jobq-broker running?", UnknownFate())));
    return;
  }
  Fail(absl::UnavailableError(absl::StrCat(
      "the broker at ", options_.broker_endpoint, " stopped answering (no acknowledgement in ",
      TimeoutText(options_.connect_timeout_ms), ")", UnknownFate())));
}

void ClientSession::ResendLongUnacknowledged(TimeMs now) {
  // Sent kSeveralBrokersResendMs ago or longer: NextDeadline's time.
  const TimeMs cutoff = now - kSeveralBrokersResendMs + 1;
  const std::optional<TimeMs> job_sent_at = submits_.OldestJobSentAt();
  const std::optional<TimeMs> workflow_sent_at = submits_.OldestWorkflowSentAt();
  if ((job_sent_at && *job_sent_at < cutoff) || (workflow_sent_at && *workflow_sent_at < cutoff)) {
    submits_.ResendSentBefore(cutoff);
    JOBQ_LOG(kInfo, "client", "resending_unacknowledged")
        .Kv("broker", options_.broker_endpoint)
        .Kv("unacknowledged", submits_.unacknowledged_jobs())
        .Kv("after_ms", kSeveralBrokersResendMs);
  }
}

std::optional<TimeMs> ClientSession::NextDeadline() const {
  if (failed_) {
    return std::nullopt;
  }
  std::optional<TimeMs> next;
  auto consider = [&next](TimeMs candidate) {
    if (!next || candidate < *next) {
      next = candidate;
    }
  };
  // Acks are only due while connected (see CheckDeadlines).
  if (connected_) {
    if (const std::optional<TimeMs> sent_at = submits_.OldestJobSentAt()) {
      consider(AckWaitStart(*sent_at) + options_.connect_timeout_ms);
      if (several_brokers_) {
        consider(*sent_at + kSeveralBrokersResendMs);
      }
    }
    if (const std::optional<TimeMs> sent_at = submits_.OldestSentinelSentAt()) {
      consider(AckWaitStart(*sent_at) + options_.connect_timeout_ms);
    }
    if (const std::optional<TimeMs> sent_at = submits_.OldestWorkflowSentAt()) {
      consider(AckWaitStart(*sent_at) + options_.connect_timeout_ms);
      if (several_brokers_) {
        consider(*sent_at + kSeveralBrokersResendMs);
      }
    }
    if (const std::optional<TimeMs> resend_at = waits_.NextResendAt()) {
      consider(*resend_at);
    }
  }
  if (unreachable_since_) {
    consider(*unreachable_since_ + UnreachableLimitMs());
    if (connected_ && !answered_on_connection_) {
      consider(connected_at_ + ConnectionHeldMs());
    }
  }
  return next;
}

void ClientSession::Fail(const absl::Status& status) {
  if (failed_) {
    return;
  }
  failed_ = true;
  JOBQ_LOG(kDebug, "client", "failed").Kv("status", status.ToString());
  ReadyFutures ready(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    shared_->failure = status;
    for (const OutItem& item : shared_->outbox) {
      if (item.type == OutItem::Type::kWorkflow) {
        FailWorkflowIfPending(item.workflow, status, ready);
      } else {
        FailIfPending(item.state, status, ready);
      }
    }
    for (const auto& state : shared_->new_waits) {
      FailIfPending(state, status, ready);
    }
    submits_.FailAll(status, ready);
    waits_.FailAll(status, ready);
    shared_->outbox.clear();
    shared_->new_waits.clear();
    shared_->window_used = 0;
  }
  submits_.Clear();
  waits_.Clear();
  unreachable_since_.reset();
  shared_->changed.notify_all();
}

}  // namespace jobq::client_internal
