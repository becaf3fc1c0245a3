#include "producer/client/internal/wait_set.h"

#include <algorithm>
#include <string>
#include <utility>

#include "producer/client/outcome.h"

namespace jobq::client_internal {
namespace {

// 4096 ids are 64 KiB: small enough not to hold up other messages, large
// enough that re-sending a big wait set takes few messages.
constexpr size_t kWaitIdsPerMessage = 4096;

}  // namespace

WaitSet::WaitSet(int64_t resend_interval_ms) : resend_interval_ms_(resend_interval_ms) {}

void WaitSet::Start(TimeMs now) { next_resend_at_ = now + resend_interval_ms_; }

void WaitSet::Register(std::shared_ptr<FutureState> state) {
  const JobId id = *state->ack->id;
  waiting_[id].push_back(std::move(state));
  new_ids_.push_back(id);
}

void WaitSet::Expect(std::shared_ptr<FutureState> state) {
  const JobId id = *state->ack->id;
  waiting_[id].push_back(std::move(state));
}

bool WaitSet::SendPending(TimeMs now, MessageSink& sink) {
  if (waiting_.empty()) {
    // The resend period starts when something is waited for, so the first
    // registration is not repeated at once.
    next_resend_at_ = now + resend_interval_ms_;
  }
  if (send_pos_ >= send_.size()) {
    send_.clear();
    send_pos_ = 0;
    const bool periodic = !waiting_.empty() && now >= next_resend_at_;
    if (resend_all_ || periodic) {
      // Re-registering every outstanding id covers a broker that restarted
      // (and forgot who waits) between two monitor events.
      send_.reserve(waiting_.size());
      for (const auto& entry : waiting_) {
        send_.push_back(entry.first);
      }
      resend_all_ = false;
      new_ids_.clear();
      next_resend_at_ = now + resend_interval_ms_;
    } else if (!new_ids_.empty()) {
      send_.swap(new_ids_);
    }
  }
  while (send_pos_ < send_.size() && sink.Ready()) {
    wire::Wait wait;
    const size_t end = std::min(send_.size(), send_pos_ + kWaitIdsPerMessage);
    for (; send_pos_ < end; ++send_pos_) {
      wait.add_ids(std::string(send_[send_pos_].Bytes()));
    }
    if (!sink.Send(Command::kWait, wait)) {
      // Every WAIT goes again on the next connection.
      send_.clear();
      send_pos_ = 0;
      resend_all_ = !waiting_.empty();
      return false;
    }
  }
  return true;
}

void WaitSet::ResendAll() { resend_all_ = !waiting_.empty(); }

std::optional<TimeMs> WaitSet::NextResendAt() const {
  if (waiting_.empty()) {
    return std::nullopt;
  }
  return next_resend_at_;
}

void WaitSet::Complete(const wire::ClientResults& results, ReadyFutures& ready) {
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

void WaitSet::FailAll(const absl::Status& status, ReadyFutures& ready) {
  for (const auto& entry : waiting_) {
    for (const auto& state : entry.second) {
      FailIfPending(state, status, ready);
    }
  }
}

void WaitSet::Clear() {
  waiting_.clear();
  new_ids_.clear();
  send_.clear();
  send_pos_ = 0;
  resend_all_ = false;
}

}  // namespace jobq::client_internal
