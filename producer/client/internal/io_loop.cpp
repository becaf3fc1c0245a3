#include "producer/client/internal/io_loop.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/curve_keys.h"
#include "common/framing.h"
#include "common/log.h"

namespace jobq::client_internal {
namespace {

// 4096 ids are 64 KiB: small enough not to hold up other messages, large
// enough that re-sending a big wait set takes few messages.
constexpr size_t kWaitIdsPerMessage = 4096;

// A submit_token: the Client's random prefix, then the job's client_seq.
constexpr size_t kSubmitTokenBytes = IoLoop::kSubmitTokenPrefixBytes + sizeof(uint64_t);
// The token as a JobSpec field: tag, length, bytes.
constexpr size_t kSubmitTokenFieldBytes = 2 + kSubmitTokenBytes;

std::string QueueName(const std::string& queue) { return queue.empty() ? "default" : queue; }

absl::Status StatusForBrokerError(const wire::Error& error, const std::string& endpoint) {
  std::string text = absl::StrCat("the broker at ", endpoint, " rejected a request (",
                                  wire::ErrorCode_Name(error.code()), "): ", error.text());
  switch (error.code()) {
    case wire::ERROR_CODE_QUEUE_FULL:
      return absl::ResourceExhaustedError(text);
    case wire::ERROR_CODE_TOO_LARGE:
      return absl::InvalidArgumentError(text);
    case wire::ERROR_CODE_UNKNOWN_JOB:
      return absl::NotFoundError(text);
    case wire::ERROR_CODE_INTERNAL:
      return absl::InternalError(text);
    case wire::ERROR_CODE_BAD_VERSION:
    case wire::ERROR_CODE_BAD_COMMAND:
    case wire::ERROR_CODE_BAD_BODY:
      // The client and the broker disagree about the protocol: retrying will not help.
      return absl::FailedPreconditionError(text);
    default:
      return absl::UnknownError(text);
  }
}

}  // namespace

IoLoop::IoLoop(const ClientOptions& options, std::shared_ptr<Shared> shared, zmq::socket_t dealer,
               zmq::socket_t monitor, std::string token_prefix)
    : options_(options),
      clock_(options_.clock != nullptr ? *options_.clock : DefaultMonotonicClock()),
      shared_(std::move(shared)),
      dealer_(std::move(dealer)),
      monitor_(std::move(monitor)),
      token_prefix_(std::move(token_prefix)),
      batch_jobs_max_(options.batch_jobs_max) {}

void IoLoop::Run() {
  try {
    RunLoop();
  } catch (const zmq::error_t& error) {
    // Only a broken context or an exhausted process gets here; callers must
    // still be released.
    Fail(absl::InternalError(absl::StrCat("the client's ZeroMQ I/O failed: ", error.what())));
  }
  // Flush queued messages (a sentinel, say) only when a broker is there to
  // take them; otherwise closing must not wait at all.
  const int linger_ms = connected_ && !failed_
                            ? static_cast<int>(std::min<int64_t>(1000, options_.connect_timeout_ms))
                            : 0;
  Fail(absl::CancelledError("the client was closed before the broker answered"));
  dealer_.set(zmq::sockopt::linger, linger_ms);
  StopMonitor(dealer_, monitor_);
  dealer_.close();
  monitor_.close();
}

void IoLoop::RunLoop() {
  // Woken through shared_->wake, which TakeRequests() empties before the
  // clock is read.
  const ClockSleeper sleeper(clock_, [shared = shared_] { shared->wake.Notify(); });
  next_wait_resend_at_ = clock_.NowMs() + options_.wait_resend_interval_ms;
  while (TakeRequests()) {
    TimeMs now = clock_.NowMs();
    SendPending(now);
    CheckDeadlines(now);

    const std::chrono::milliseconds timeout(sleeper.PollTimeoutMs(NextDeadline()));
    const short dealer_events =
        static_cast<short>(ZMQ_POLLIN | (BlockedOnWrite() ? ZMQ_POLLOUT : 0));
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
  std::lock_guard lock(shared_->mutex);
  // Reset under the lock: a caller that queues after this signals again.
  shared_->wake_pending = false;
  if (shared_->stop) {
    return false;
  }
  for (OutItem& item : shared_->outbox) {
    unsent_.push_back(std::move(item));
  }
  shared_->outbox.clear();
  shared_->wake_after_jobs = pending_acks_.empty() ? 1 : batch_jobs_max_;
  for (std::shared_ptr<FutureState>& state : shared_->new_waits) {
    const JobId id = *state->ack->id;
    waiting_[id].push_back(std::move(state));
    new_wait_ids_.push_back(id);
  }
  shared_->new_waits.clear();
  return true;
}

bool IoLoop::Writable() { return (dealer_.get(zmq::sockopt::events) & ZMQ_POLLOUT) != 0; }

bool IoLoop::BlockedOnWrite() const {
  if (!connected_) {
    return false;  // nothing may go out yet; the monitor wakes poll on a connection
  }
  // A held partial batch is not blocked: asking for POLLOUT then would
  // wake poll at once, over and over, until the acks come.
  return resend_from_seq_.has_value() || (!unsent_.empty() && !ShouldHoldBatch()) ||
         wait_send_pos_ < wait_send_.size();
}

bool IoLoop::HasPendingWork() const {
  return !unsent_.empty() || !pending_acks_.empty() || !waiting_.empty() ||
         !sentinels_unconfirmed_.empty();
}

void IoLoop::SendPending(TimeMs now) {
  // Until the monitor has reported the connection, a send could overtake
  // the re-send that a reconnect calls for, or be counted as made on the
  // lost connection.
  if (!connected_) {
    return;
  }
  // Each send is preceded by a writability check because a DEALER blocks at
  // its high-water mark, and this thread must never block outside poll.
  // `connected_` is checked again after every send: a refused one clears it.
  while (!failed_ && connected_ && resend_from_seq_ && Writable()) {
    ResendBatch(now);
  }
  while (!failed_ && connected_ && !resend_from_seq_ && !unsent_.empty() && Writable()) {
    OutItem& front = unsent_.front();
    if (front.type == OutItem::Type::kSentinel) {
      wire::Sentinel sentinel;
      sentinel.set_queue(front.queue);
      if (!SendMessage(dealer_, "", Command::kSentinel, sentinel, &scratch_)) {
        OnSendRefused();  // it stays first in line for the next connection
        return;
      }
      sentinels_unconfirmed_.push_back({std::move(front.state), std::move(front.queue), now});
      unsent_.pop_front();
      continue;
    }
    if (ShouldHoldBatch()) {
      break;
    }
    SendSubmitBatch(now);
  }
  if (connected_) {
    SendWaits(now);
  }
}

bool IoLoop::ShouldHoldBatch() const {
  // Nagle's rule for batches: while a SUBMIT awaits its ack, a partial
  // batch waits for more jobs (or for the acks), so a fast producer sends
  // full batches and a lone job still goes out at once.
  if (pending_acks_.empty()) {
    return false;
  }
  const bool notify = unsent_.front().state->notify;
  size_t jobs = 0;
  for (const OutItem& item : unsent_) {
    if (item.type != OutItem::Type::kJob || item.state->notify != notify) {
      return false;  // the batch is closed by what follows it
    }
    if (++jobs >= batch_jobs_max_) {
      return false;
    }
  }
  return true;
}

void IoLoop::SendSubmitBatch(TimeMs now) {
  wire::Submit submit;
  submit.set_first_seq(next_seq_);
  // `notify` belongs to the whole message, so a batch never mixes values.
  const bool notify = unsent_.front().state->notify;
  submit.set_notify(notify);
  size_t batch_bytes = 0;
  while (!unsent_.empty() && unsent_.front().type == OutItem::Type::kJob &&
         unsent_.front().state->notify == notify) {
    OutItem& item = unsent_.front();
    const bool own_token = item.job.submit_token().empty();
    // Counted before it is set: a job left for the next batch keeps no
    // token, or it would pass for one the caller chose.
    const size_t job_bytes = item.job.ByteSizeLong() + (own_token ? kSubmitTokenFieldBytes : 0);
    if (!BatchHasRoom(submit, batch_bytes, job_bytes)) {
      break;
    }
    if (own_token) {
      SetSubmitToken(next_seq_, &item.job);
    }
    batch_bytes += job_bytes;
    *submit.add_jobs() = std::move(item.job);
    PendingAck& pending = pending_acks_[next_seq_++];
    pending.state = std::move(item.state);
    pending.sent_at = now;
    pending.own_token = own_token;
    pending.batch_first_seq = submit.first_seq();
    unsent_.pop_front();
  }
  SendSubmit(&submit);
}

void IoLoop::ResendBatch(TimeMs now) {
  auto it = pending_acks_.lower_bound(*resend_from_seq_);
  while (it != pending_acks_.end() && !it->second.resend) {
    ++it;
  }
  if (it == pending_acks_.end()) {
    resend_from_seq_.reset();
    return;
  }
  // The rules of a first send: job i is first_seq + i, so a gap (a job
  // acknowledged meanwhile, or one not to be re-sent) ends the SUBMIT, as
  // do a change of notify and the batch limits.
  wire::Submit submit;
  submit.set_first_seq(it->first);
  const bool notify = it->second.state->notify;
  submit.set_notify(notify);
  size_t batch_bytes = 0;
  for (uint64_t seq = it->first; it != pending_acks_.end() && it->first == seq &&
                                 it->second.resend && it->second.state->notify == notify;
       ++it, ++seq) {
    const size_t job_bytes = it->second.job.ByteSizeLong();
    if (!BatchHasRoom(submit, batch_bytes, job_bytes)) {
      break;
    }
    batch_bytes += job_bytes;
    *submit.add_jobs() = std::move(it->second.job);
    it->second.sent_at = now;
    it->second.batch_first_seq = submit.first_seq();
    it->second.resend = false;
  }
  if (it == pending_acks_.end()) {
    resend_from_seq_.reset();
  } else {
    resend_from_seq_ = it->first;
  }
  SendSubmit(&submit);
}

bool IoLoop::BatchHasRoom(const wire::Submit& submit, size_t batch_bytes, size_t job_bytes) const {
  if (submit.jobs_size() == 0) {
    return true;  // a single larger job still goes, alone: the broker judges it
  }
  return static_cast<size_t>(submit.jobs_size()) < batch_jobs_max_ &&
         batch_bytes + job_bytes <= options_.batch_bytes_max;
}

void IoLoop::SendSubmit(wire::Submit* submit) {
  const bool sent = SendMessage(dealer_, "", Command::kSubmit, *submit, &scratch_);
  // Moved, not copied, into the message and back: the jobs are kept for a
  // re-send at no extra cost.
  auto pending = pending_acks_.find(submit->first_seq());
  for (wire::JobSpec& job : *submit->mutable_jobs()) {
    pending->second.job = std::move(job);
    if (!sent) {
      // Nothing of it left: these jobs go with the re-send on the next connection.
      MarkForResend(pending->first, pending->second);
    }
    ++pending;
  }
  if (!sent) {
    OnSendRefused();
  }
}

void IoLoop::MarkForResend(uint64_t seq, PendingAck& pending) {
  pending.resend = true;
  resend_from_seq_ = std::min(resend_from_seq_.value_or(seq), seq);
}

void IoLoop::OnSendRefused() {
  // POLLOUT said writable, yet the send was refused: the connection broke
  // in between, before the monitor told us. Wait for the next one, which
  // re-sends everything unacknowledged, instead of failing the client.
  JOBQ_LOG(kInfo, "client", "send_refused").Kv("broker", options_.broker_endpoint);
  connected_ = false;
}

void IoLoop::SetSubmitToken(uint64_t seq, wire::JobSpec* job) const {
  // Unique per job for the Client's life (the seq never repeats) and across
  // Clients (the random prefix), and the same on every send of the job.
  std::array<char, kSubmitTokenBytes> token;
  std::memcpy(token.data(), token_prefix_.data(), kSubmitTokenPrefixBytes);
  for (size_t i = 0; i < sizeof(seq); ++i) {
    token[kSubmitTokenPrefixBytes + i] = static_cast<char>(seq >> (8 * (sizeof(seq) - 1 - i)));
  }
  job->mutable_submit_token()->assign(token.data(), token.size());
}

void IoLoop::SendWaits(TimeMs now) {
  if (failed_) {
    return;
  }
  if (waiting_.empty()) {
    // The resend period starts when something is waited for, so the first
    // registration is not repeated at once.
    next_wait_resend_at_ = now + options_.wait_resend_interval_ms;
  }
  if (wait_send_pos_ >= wait_send_.size()) {
    wait_send_.clear();
    wait_send_pos_ = 0;
    const bool periodic = connected_ && !waiting_.empty() && now >= next_wait_resend_at_;
    if (resend_all_waits_ || periodic) {
      // Re-registering every outstanding id covers a broker that restarted
      // (and forgot who waits) between two monitor events.
      wait_send_.reserve(waiting_.size());
      for (const auto& entry : waiting_) {
        wait_send_.push_back(entry.first);
      }
      resend_all_waits_ = false;
      new_wait_ids_.clear();
      next_wait_resend_at_ = now + options_.wait_resend_interval_ms;
    } else if (!new_wait_ids_.empty()) {
      wait_send_.swap(new_wait_ids_);
    }
  }
  while (wait_send_pos_ < wait_send_.size() && Writable()) {
    wire::Wait wait;
    const size_t end = std::min(wait_send_.size(), wait_send_pos_ + kWaitIdsPerMessage);
    for (; wait_send_pos_ < end; ++wait_send_pos_) {
      wait.add_ids(std::string(wait_send_[wait_send_pos_].Bytes()));
    }
    if (!SendMessage(dealer_, "", Command::kWait, wait, &scratch_)) {
      // Every WAIT goes again on the next connection.
      wait_send_.clear();
      wait_send_pos_ = 0;
      resend_all_waits_ = !waiting_.empty();
      OnSendRefused();
      return;
    }
  }
}

void IoLoop::ReceiveFromBroker(TimeMs now) {
  while (ReceiveMessage(dealer_, Channel::kBrokerToClient, /*has_routing_id=*/false, &received_)) {
    heard_from_broker_ = true;
    answered_on_connection_ = true;
    if (failed_) {
      continue;  // drain and drop: nobody is waiting any more
    }
    const DecodedFrames& decoded = received_.decoded;
    if (decoded.error != FrameError::kNone) {
      Fail(absl::FailedPreconditionError(
          absl::StrCat("the broker at ", options_.broker_endpoint, " sent a malformed message (",
                       decoded.ErrorText(), "): is it a jobq broker of the same version?")));
      continue;
    }
    switch (decoded.command) {
      case Command::kSubmitted:
        HandleSubmitted(decoded.body, now);
        break;
      case Command::kClientResult:
        HandleResults(decoded.body);
        break;
      case Command::kError:
        HandleError(decoded.body);
        break;
      default:
        break;  // DecodeFrames admits only the three above on this channel
    }
  }
}

void IoLoop::HandleSubmitted(std::string_view body, TimeMs now) {
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
    for (uint32_t i = 0; i < submitted.sentinels() && !sentinels_unconfirmed_.empty(); ++i) {
      sentinels_unconfirmed_.front().state->sent = true;
      sentinels_unconfirmed_.pop_front();
    }
    if (submitted.sentinels() > 0) {
      shared_->changed.notify_all();
    }
    for (const wire::SubmitAck& ack : submitted.acks()) {
      auto pending = pending_acks_.find(ack.client_seq());
      if (pending == pending_acks_.end()) {
        // A duplicate, or an ack for an older connection's batch: harmless.
        JOBQ_LOG(kDebug, "client", "unexpected_ack").Kv("seq", ack.client_seq());
        continue;
      }
      // Matched on the client's own token alone, the job found is this very
      // one, sent before a reconnect and acknowledged on the lost
      // connection: from the caller's side nothing was submitted twice.
      const bool matched_own_token_only =
          pending->second.own_token && pending->second.job.idempotency_key().empty();
      std::shared_ptr<FutureState> state = std::move(pending->second.state);
      pending_acks_.erase(pending);
      --shared_->window_used;
      if (pending_acks_.empty()) {
        shared_->wake_after_jobs = 1;  // nothing in flight: send the next job at once
      }

      SubmitAck converted;
      std::optional<JobId> id = JobId::FromBytes(ack.id());
      if (!ack.error().type().empty() || ack.id().empty()) {
        converted.error = ack.error();
        if (converted.error.type().empty()) {
          converted.error.set_type("rejected");
        }
      } else if (!id) {
        converted.error.set_type("bad_response");
        converted.error.set_message("the broker acknowledged the job with a malformed id");
      } else {
        converted.id = *id;
        converted.duplicate = ack.duplicate() && !matched_own_token_only;
      }
      state->ack = std::move(converted);
      if (state->notify && state->ack->accepted()) {
        waiting_[*state->ack->id].push_back(state);
      }
      ready.AddIfDone(state);
    }
  }
  shared_->changed.notify_all();
}

void IoLoop::HandleResults(std::string_view body) {
  wire::ClientResults results;
  if (!results.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    Fail(absl::FailedPreconditionError(absl::StrCat("the broker at ", options_.broker_endpoint,
                                                    " sent a RESULT body that does not decode")));
    return;
  }
  ReadyFutures ready(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    for (const wire::JobOutcome& wire_outcome : results.outcomes()) {
      std::optional<Outcome> outcome = OutcomeFromWire(wire_outcome);
      if (!outcome || !IsFinalState(outcome->state)) {
        continue;
      }
      // Several pushes for one job are normal (notify plus a re-sent WAIT):
      // the first completes the futures, the rest find nothing.
      auto waiting = waiting_.find(outcome->id);
      if (waiting == waiting_.end()) {
        continue;
      }
      for (const auto& state : waiting->second) {
        state->outcome = *outcome;
        ready.AddIfDone(state);
      }
      waiting_.erase(waiting);
    }
  }
  shared_->changed.notify_all();
}

void IoLoop::HandleError(std::string_view body) {
  wire::Error error;
  if (!error.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    error.Clear();
    error.set_text("(the ERROR body does not decode)");
  }
  if (error.code() == wire::ERROR_CODE_TOO_LARGE && OnBatchRefused(error)) {
    return;
  }
  // Any other ERROR names no job, so it cannot be pinned on one request;
  // failing all of them with the broker's words beats letting them time out.
  Fail(StatusForBrokerError(error, options_.broker_endpoint));
}

bool IoLoop::OnBatchRefused(const wire::Error& error) {
  const uint64_t first_seq = error.first_seq();
  if (first_seq == 0 || error.batch_max() == 0) {
    return false;  // an older broker: it does not say which SUBMIT, nor how to split it
  }
  auto first = pending_acks_.find(first_seq);
  auto end = first;
  size_t jobs = 0;
  for (uint64_t seq = first_seq;
       end != pending_acks_.end() && end->first == seq && end->second.batch_first_seq == first_seq;
       ++end, ++seq) {
    ++jobs;
  }
  if (jobs <= error.batch_max()) {
    // Not the SUBMIT refused: its jobs went out again meanwhile (after a
    // reconnect), in SUBMITs that are answered on their own.
    return true;
  }
  batch_jobs_max_ = std::min<size_t>(batch_jobs_max_, error.batch_max());
  for (auto it = first; it != end; ++it) {
    MarkForResend(it->first, it->second);
  }
  JOBQ_LOG(kInfo, "client", "batch_split")
      .Kv("broker", options_.broker_endpoint)
      .Kv("first_seq", first_seq)
      .Kv("jobs", jobs)
      .Kv("batch_max", batch_jobs_max_);
  return true;
}

void IoLoop::ReceiveMonitorEvents(TimeMs now) {
  while (std::optional<MonitorEvent> event = ReceiveMonitorEvent(monitor_)) {
    if (event->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
        event->event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
        event->event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
      OnHandshakeFailed(*event);
    } else if (event->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      silent_handshake_failures_ = 0;
      if (ever_connected_) {
        OnReconnected(now);
      }
      connected_ = true;
      ever_connected_ = true;
      answered_on_connection_ = false;
    } else if (event->event == ZMQ_EVENT_DISCONNECTED) {
      if (connected_ && !answered_on_connection_ && HasPendingWork()) {
        ++closed_unanswered_;
      }
      connected_ = false;
      JOBQ_LOG(kInfo, "client", "broker_disconnected").Kv("broker", options_.broker_endpoint);
    }
  }
}

void IoLoop::OnHandshakeFailed(const MonitorEvent& event) {
  if (failed_) {
    return;
  }
  const HandshakeClient self{
      "producer",
      options_.curve_public_key.empty() ? std::string() : curve::ToZ85(options_.curve_public_key),
      options_.broker_endpoint};
  std::optional<std::string> why = DescribeHandshakeFailure(event, self);
  if (!why) {
    return;
  }
  // A handshake closed without a reason may also be a broker restarting at
  // that moment: a few in a row before failing.
  constexpr int kSilentFailuresMax = 3;
  if (event.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
      ++silent_handshake_failures_ < kSilentFailuresMax) {
    return;
  }
  // Waiting would only turn these into a timeout: the broker's allow-list
  // or the client's keys must change.
  Fail(event.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? absl::PermissionDeniedError(*why)
                                                      : absl::FailedPreconditionError(*why));
}

void IoLoop::OnReconnected(TimeMs now) {
  // The new connection may be a restarted broker: it no longer knows who
  // waits for what, and it lost what it had not made durable. A job it did
  // keep is found by its submit_token and only acknowledged again.
  resend_all_waits_ = !waiting_.empty();
  for (auto& [seq, pending] : pending_acks_) {
    MarkForResend(seq, pending);
  }
  reconnected_at_ = now;
  FailUnconfirmedSentinels();
  JOBQ_LOG(kInfo, "client", "broker_reconnected")
      .Kv("broker", options_.broker_endpoint)
      .Kv("resubmitting", pending_acks_.size());
}

void IoLoop::FailUnconfirmedSentinels() {
  if (sentinels_unconfirmed_.empty()) {
    return;
  }
  // A sentinel carries no token, so a re-sent one could make a second
  // barrier: its caller decides, knowing the first may be there.
  {
    std::lock_guard lock(shared_->mutex);
    for (const PendingSentinel& sentinel : sentinels_unconfirmed_) {
      sentinel.state->failure = absl::UnavailableError(absl::StrCat(
          "the connection to the broker at ", options_.broker_endpoint,
          " was lost before it acknowledged the sentinel for queue ", QueueName(sentinel.queue),
          ", so it may or may not be in the queue: check the queue's SENTINELS in `jobq status` "
          "before sending another, which would be a second barrier"));
    }
  }
  sentinels_unconfirmed_.clear();
  shared_->changed.notify_all();
}

TimeMs IoLoop::AckWaitStart(TimeMs sent_at) const {
  return std::max({sent_at, last_ack_at_, reconnected_at_});
}

std::string IoLoop::UnknownFateText() const {
  std::string text;
  if (const size_t jobs = pending_acks_.size(); jobs > 0) {
    absl::StrAppend(&text, "; ", jobs, jobs == 1 ? " submitted job was" : " submitted jobs were",
                    " not acknowledged and may or may not have been accepted (submit again once "
                    "the broker is back; an idempotency key keeps a job accepted already from "
                    "being created twice)");
  }
  if (const size_t sentinels = sentinels_unconfirmed_.size(); sentinels > 0) {
    absl::StrAppend(&text, "; ", sentinels, sentinels == 1 ? " sentinel was" : " sentinels were",
                    " not acknowledged and may or may not be in the queue");
  }
  return text;
}

void IoLoop::CheckDeadlines(TimeMs now) {
  if (failed_) {
    return;
  }
  if (connected_) {
    CheckAckDeadlines(now);
    if (failed_) {
      return;
    }
  }
  // Only an answer shows the broker is there: a connection it accepts and
  // closes unanswered (as a broker at its --connections-max does) must not
  // restart the clock, or the client would reconnect forever. A lost
  // connection is not a slow ack: a broker restarting (and recovering its
  // store) gets reconnect_timeout_ms, and acks are awaited again from the
  // re-send on the new connection.
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
    Fail(absl::UnavailableError(
        absl::StrCat("lost the connection to the broker at ", options_.broker_endpoint,
                     " and could not reconnect within ", TimeoutText(limit_ms),
                     ": is jobq-broker running?", ClosedUnansweredText(), UnknownFateText())));
  } else {
    Fail(absl::UnavailableError(absl::StrCat("cannot reach the broker at ",
                                             options_.broker_endpoint, " (no reply in ",
                                             TimeoutText(limit_ms), "): is jobq-broker running?",
                                             ClosedUnansweredText(), UnknownFateText())));
  }
}

int64_t IoLoop::UnreachableLimitMs() const {
  return heard_from_broker_ ? options_.reconnect_timeout_ms : options_.connect_timeout_ms;
}

std::string IoLoop::ClosedUnansweredText() const {
  if (closed_unanswered_ == 0) {
    return "";
  }
  return absl::StrCat(" ", closed_unanswered_,
                      closed_unanswered_ == 1 ? " connection was" : " connections were",
                      " closed before the broker answered: one at its --connections-max does "
                      "that (see connections_max_reached in its log), as does one that stopped");
}

void IoLoop::CheckAckDeadlines(TimeMs now) {
  const int64_t connect_timeout = options_.connect_timeout_ms;
  const bool sentinel_late =
      !sentinels_unconfirmed_.empty() &&
      now - AckWaitStart(sentinels_unconfirmed_.front().sent_at) >= connect_timeout;
  const bool jobs_late =
      !pending_acks_.empty() &&
      now - AckWaitStart(pending_acks_.begin()->second.sent_at) >= connect_timeout;
  if (!sentinel_late && !jobs_late) {
    return;
  }
  if (!heard_from_broker_) {
    // Connected to something that never answers: not a jobq broker, or a hung one.
    Fail(absl::UnavailableError(absl::StrCat("cannot reach the broker at ",
                                             options_.broker_endpoint, " (no reply in ",
                                             TimeoutText(options_.connect_timeout_ms),
                                             "): is jobq-broker running?", UnknownFateText())));
    return;
  }
  Fail(absl::UnavailableError(absl::StrCat(
      "the broker at ", options_.broker_endpoint, " stopped answering (no acknowledgement in ",
      TimeoutText(options_.connect_timeout_ms), ")", UnknownFateText())));
}

std::optional<TimeMs> IoLoop::NextDeadline() const {
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
  if (connected_ && !pending_acks_.empty()) {
    consider(AckWaitStart(pending_acks_.begin()->second.sent_at) + options_.connect_timeout_ms);
  }
  if (connected_ && !sentinels_unconfirmed_.empty()) {
    consider(AckWaitStart(sentinels_unconfirmed_.front().sent_at) + options_.connect_timeout_ms);
  }
  if (unreachable_since_) {
    consider(*unreachable_since_ + UnreachableLimitMs());
  }
  if (connected_ && !waiting_.empty()) {
    consider(next_wait_resend_at_);
  }
  return next;
}

void IoLoop::Fail(const absl::Status& status) {
  if (failed_) {
    return;
  }
  failed_ = true;
  JOBQ_LOG(kDebug, "client", "failed").Kv("status", status.ToString());
  ReadyFutures ready(shared_);
  {
    std::lock_guard lock(shared_->mutex);
    shared_->failure = status;
    auto fail = [&](const std::shared_ptr<FutureState>& state) {
      if (!state->Done()) {
        state->failure = status;
        ready.AddIfDone(state);
      }
    };
    for (const OutItem& item : shared_->outbox) {
      fail(item.state);
    }
    for (const auto& state : shared_->new_waits) {
      fail(state);
    }
    for (const OutItem& item : unsent_) {
      fail(item.state);
    }
    for (const auto& entry : pending_acks_) {
      fail(entry.second.state);
    }
    for (const auto& entry : waiting_) {
      for (const auto& state : entry.second) {
        fail(state);
      }
    }
    for (const PendingSentinel& sentinel : sentinels_unconfirmed_) {
      sentinel.state->failure = status;
    }
    shared_->outbox.clear();
    shared_->new_waits.clear();
    shared_->window_used = 0;
  }
  unsent_.clear();
  pending_acks_.clear();
  waiting_.clear();
  sentinels_unconfirmed_.clear();
  new_wait_ids_.clear();
  wait_send_.clear();
  wait_send_pos_ = 0;
  resend_all_waits_ = false;
  resend_from_seq_.reset();
  unreachable_since_.reset();
  shared_->changed.notify_all();
}

std::string IoLoop::TimeoutText(int64_t timeout_ms) const {
  return absl::StrFormat("%g s", static_cast<double>(timeout_ms) / 1000.0);
}

}  // namespace jobq::client_internal
