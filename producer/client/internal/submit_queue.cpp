#include "producer/client/internal/submit_queue.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "common/log.h"

namespace jobq::client_internal {
namespace {

// A submit_token: the Client's random prefix, then the job's client_seq.
constexpr size_t kSubmitTokenBytes = SubmitQueue::kSubmitTokenPrefixBytes + sizeof(uint64_t);
// The token as a JobSpec field: tag, length, bytes.
constexpr size_t kSubmitTokenFieldBytes = 2 + kSubmitTokenBytes;

}  // namespace

SubmitQueue::SubmitQueue(size_t batch_jobs_max, size_t batch_bytes_max, std::string broker_endpoint,
                         std::string token_prefix)
    : batch_bytes_max_(batch_bytes_max),
      broker_endpoint_(std::move(broker_endpoint)),
      token_prefix_(std::move(token_prefix)),
      batch_jobs_max_(batch_jobs_max) {}

void SubmitQueue::Add(OutItem item) { unsent_.push_back(std::move(item)); }

bool SubmitQueue::HasWork() const {
  return !unsent_.empty() || !pending_acks_.empty() || !sentinels_unconfirmed_.empty() ||
         !pending_workflows_.empty();
}

bool SubmitQueue::ReadyToSend() const {
  // A held partial batch is not ready: asking for POLLOUT then would
  // wake poll at once, over and over, until the acks come.
  if (resend_from_seq_.has_value() || (!unsent_.empty() && !ShouldHoldBatch())) {
    return true;
  }
  for (const auto& entry : pending_workflows_) {
    if (!entry.second.sent_at) {
      return true;
    }
  }
  return false;
}

bool SubmitQueue::SendPending(TimeMs now, MessageSink& sink) {
  // Each send is preceded by a readiness check because a DEALER blocks at
  // its high-water mark, and the I/O thread must never block outside poll.
  while (resend_from_seq_ && sink.Ready()) {
    if (!ResendBatch(now, sink)) {
      return false;
    }
  }
  if (!resend_from_seq_ && !ResendWorkflows(now, sink)) {
    return false;
  }
  while (!resend_from_seq_ && !WorkflowsToResend() && !unsent_.empty() && sink.Ready()) {
    OutItem& front = unsent_.front();
    if (front.type == OutItem::Type::kWorkflow) {
      if (!SendNewWorkflow(now, sink)) {
        return false;
      }
      continue;
    }
    if (front.type == OutItem::Type::kSentinel) {
      wire::Sentinel sentinel;
      sentinel.set_queue(front.queue);
      if (!sink.Send(Command::kSentinel, sentinel)) {
        return false;  // it stays first in line for the next connection
      }
      sentinels_unconfirmed_.push_back({std::move(front.state), std::move(front.queue), now});
      unsent_.pop_front();
      continue;
    }
    if (ShouldHoldBatch()) {
      break;
    }
    if (!SendSubmitBatch(now, sink)) {
      return false;
    }
  }
  return true;
}

bool SubmitQueue::SendNewWorkflow(TimeMs now, MessageSink& sink) {
  OutItem& front = unsent_.front();
  const uint64_t seq = next_workflow_seq_++;
  PendingWorkflow& pending = pending_workflows_[seq];
  pending.state = std::move(front.workflow);
  pending.message = std::move(*front.workflow_message);
  pending.message.set_client_seq(seq);
  // The same shape as a job's token: unique per workflow for the Client's
  // life and across Clients, and the same on every send. The broker keeps
  // workflow tokens apart from job tokens.
  pending.message.set_submit_token(MakeSubmitToken(seq));
  unsent_.pop_front();
  if (!sink.Send(Command::kSubmitWorkflow, pending.message)) {
    return false;  // unsent: it goes with the re-send on the next connection
  }
  pending.sent_at = now;
  return true;
}

bool SubmitQueue::ResendWorkflows(TimeMs now, MessageSink& sink) {
  for (auto& [seq, pending] : pending_workflows_) {
    if (pending.sent_at) {
      continue;
    }
    if (!sink.Ready()) {
      return true;  // the rest on the next turn; newer requests wait behind them
    }
    if (!sink.Send(Command::kSubmitWorkflow, pending.message)) {
      return false;
    }
    pending.sent_at = now;
  }
  return true;
}

bool SubmitQueue::ShouldHoldBatch() const {
  // Nagle's rule for batches: while a SUBMIT awaits its ack, a partial
  // batch waits for more jobs (or for the acks), so a fast producer sends
  // full batches and a lone job still goes out at once.
  if (pending_acks_.empty() || unsent_.front().type != OutItem::Type::kJob) {
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

bool SubmitQueue::SendSubmitBatch(TimeMs now, MessageSink& sink) {
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
  return SendSubmit(&submit, sink);
}

bool SubmitQueue::ResendBatch(TimeMs now, MessageSink& sink) {
  auto it = pending_acks_.lower_bound(*resend_from_seq_);
  while (it != pending_acks_.end() && !it->second.resend) {
    ++it;
  }
  if (it == pending_acks_.end()) {
    resend_from_seq_.reset();
    return true;
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
  return SendSubmit(&submit, sink);
}

bool SubmitQueue::BatchHasRoom(const wire::Submit& submit, size_t batch_bytes,
                               size_t job_bytes) const {
  if (submit.jobs_size() == 0) {
    return true;  // a single larger job still goes, alone: the broker judges it
  }
  return static_cast<size_t>(submit.jobs_size()) < batch_jobs_max_ &&
         batch_bytes + job_bytes <= batch_bytes_max_;
}

bool SubmitQueue::SendSubmit(wire::Submit* submit, MessageSink& sink) {
  const bool sent = sink.Send(Command::kSubmit, *submit);
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
  return sent;
}

void SubmitQueue::MarkForResend(uint64_t seq, PendingAck& pending) {
  pending.resend = true;
  resend_from_seq_ = std::min(resend_from_seq_.value_or(seq), seq);
}

void SubmitQueue::SetSubmitToken(uint64_t seq, wire::JobSpec* job) const {
  *job->mutable_submit_token() = MakeSubmitToken(seq);
}

std::string SubmitQueue::MakeSubmitToken(uint64_t seq) const {
  // Unique per job for the Client's life (the seq never repeats) and across
  // Clients (the random prefix), and the same on every send of the job.
  std::array<char, kSubmitTokenBytes> token;
  std::memcpy(token.data(), token_prefix_.data(), kSubmitTokenPrefixBytes);
  for (size_t i = 0; i < sizeof(seq); ++i) {
    token[kSubmitTokenPrefixBytes + i] = static_cast<char>(seq >> (8 * (sizeof(seq) - 1 - i)));
  }
  return std::string(token.data(), token.size());
}

void SubmitQueue::ResendAll() {
  for (auto& [seq, pending] : pending_acks_) {
    MarkForResend(seq, pending);
  }
  for (auto& entry : pending_workflows_) {
    entry.second.sent_at.reset();
  }
}

void SubmitQueue::ResendSentBefore(TimeMs cutoff) {
  for (auto& [seq, pending] : pending_acks_) {
    if (pending.sent_at < cutoff) {
      MarkForResend(seq, pending);
    }
  }
  for (auto& entry : pending_workflows_) {
    if (entry.second.sent_at && *entry.second.sent_at < cutoff) {
      entry.second.sent_at.reset();
    }
  }
}

bool SubmitQueue::WorkflowsToResend() const {
  for (const auto& entry : pending_workflows_) {
    if (!entry.second.sent_at) {
      return true;
    }
  }
  return false;
}

bool SubmitQueue::OnBatchRefused(const wire::Error& error) {
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
      .Kv("broker", broker_endpoint_)
      .Kv("first_seq", first_seq)
      .Kv("jobs", jobs)
      .Kv("batch_max", batch_jobs_max_);
  return true;
}

std::optional<TimeMs> SubmitQueue::OldestJobSentAt() const {
  if (pending_acks_.empty()) {
    return std::nullopt;
  }
  return pending_acks_.begin()->second.sent_at;
}

std::optional<TimeMs> SubmitQueue::OldestWorkflowSentAt() const {
  std::optional<TimeMs> oldest;
  for (const auto& entry : pending_workflows_) {
    if (entry.second.sent_at && (!oldest || *entry.second.sent_at < *oldest)) {
      oldest = entry.second.sent_at;
    }
  }
  return oldest;
}

std::shared_ptr<WorkflowState> SubmitQueue::TakeAnsweredWorkflow(
    const wire::WorkflowSubmitted& answer) {
  auto pending = pending_workflows_.find(answer.client_seq());
  if (pending == pending_workflows_.end()) {
    JOBQ_LOG(kDebug, "client", "unexpected_workflow_answer").Kv("seq", answer.client_seq());
    return nullptr;
  }
  std::shared_ptr<WorkflowState> state = std::move(pending->second.state);
  pending_workflows_.erase(pending);
  return state;
}

std::optional<TimeMs> SubmitQueue::OldestSentinelSentAt() const {
  if (sentinels_unconfirmed_.empty()) {
    return std::nullopt;
  }
  return sentinels_unconfirmed_.front().sent_at;
}

void SubmitQueue::ConfirmSentinels(uint32_t count) {
  for (uint32_t i = 0; i < count && !sentinels_unconfirmed_.empty(); ++i) {
    sentinels_unconfirmed_.front().state->sent = true;
    sentinels_unconfirmed_.pop_front();
  }
}

std::shared_ptr<FutureState> SubmitQueue::Acknowledge(const wire::SubmitAck& ack) {
  auto pending = pending_acks_.find(ack.client_seq());
  if (pending == pending_acks_.end()) {
    // A duplicate, or an ack for an older connection's batch: harmless.
    JOBQ_LOG(kDebug, "client", "unexpected_ack").Kv("seq", ack.client_seq());
    return nullptr;
  }
  // Matched on the client's own token alone, the job found is this very
  // one, sent before a reconnect and acknowledged on the lost
  // connection: from the caller's side nothing was submitted twice.
  const bool matched_own_token_only =
      pending->second.own_token && pending->second.job.idempotency_key().empty();
  std::shared_ptr<FutureState> state = std::move(pending->second.state);
  pending_acks_.erase(pending);

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
  return state;
}

std::deque<SubmitQueue::SentSentinel> SubmitQueue::TakeUnconfirmedSentinels() {
  std::deque<SentSentinel> taken;
  taken.swap(sentinels_unconfirmed_);
  return taken;
}

void SubmitQueue::FailAll(const absl::Status& status, ReadyFutures& ready) {
  for (const OutItem& item : unsent_) {
    if (item.type == OutItem::Type::kWorkflow) {
      FailWorkflowIfPending(item.workflow, status, ready);
    } else {
      FailIfPending(item.state, status, ready);
    }
  }
  for (const auto& entry : pending_workflows_) {
    FailWorkflowIfPending(entry.second.state, status, ready);
  }
  for (const auto& entry : pending_acks_) {
    FailIfPending(entry.second.state, status, ready);
  }
  for (const SentSentinel& sentinel : sentinels_unconfirmed_) {
    sentinel.state->failure = status;
  }
}

void SubmitQueue::Clear() {
  unsent_.clear();
  pending_acks_.clear();
  sentinels_unconfirmed_.clear();
  pending_workflows_.clear();
  resend_from_seq_.reset();
}

}  // namespace jobq::client_internal
