#include "producer/client/future.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "producer/client/internal/shared_state.h"
#include "producer/client/remote_error.h"

namespace jobq {
namespace {

RemoteError ErrorFromStatus(const absl::Status& status, std::optional<JobId> id) {
  return RemoteError(absl::AsciiStrToLower(absl::StatusCodeToString(status.code())),
                     std::string(status.message()), "", id);
}

}  // namespace

uint64_t Future::tag() const { return state_->tag; }

bool Future::notify() const { return state_->notify; }

absl::StatusOr<SubmitAck> Future::Ack() const {
  std::unique_lock lock(shared_->mutex);
  shared_->changed.wait(lock, [&] { return state_->AckReady(); });
  if (!state_->failure.ok()) {
    return state_->failure;
  }
  return *state_->ack;
}

absl::StatusOr<Outcome> Future::Result() const {
  if (!state_->notify) {
    return absl::FailedPreconditionError(
        "the job was submitted with notify=false, so the broker does not report its outcome; "
        "use Client::Wait for its id");
  }
  std::unique_lock lock(shared_->mutex);
  shared_->changed.wait(lock, [&] { return state_->Done(); });
  if (!state_->failure.ok()) {
    return state_->failure;
  }
  if (!state_->ack->accepted()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the broker rejected the job: ", state_->ack->error.type(), ": ",
                     state_->ack->error.message()));
  }
  return *state_->outcome;
}

Outcome Future::Get() const {
  absl::StatusOr<SubmitAck> ack = Ack();
  if (!ack.ok()) {
    throw ErrorFromStatus(ack.status(), std::nullopt);
  }
  if (!ack->accepted()) {
    throw RemoteError(ack->error.type(), ack->error.message(), ack->error.detail());
  }
  absl::StatusOr<Outcome> outcome = Result();
  if (!outcome.ok()) {
    throw ErrorFromStatus(outcome.status(), ack->id);
  }
  if (!outcome->succeeded()) {
    // A worker's error normally names its type; fall back on the state so
    // callers can still tell "cancelled" from "dead".
    std::string type = outcome->error.type().empty() ? std::string(JobStateName(outcome->state))
                                                     : outcome->error.type();
    throw RemoteError(std::move(type), outcome->error.message(), outcome->error.detail(),
                      outcome->id);
  }
  return *std::move(outcome);
}

bool Future::WaitForAck(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->mutex);
  if (timeout.count() <= 0) {
    return state_->AckReady();  // a poll: wait_for would still make a syscall
  }
  return shared_->changed.wait_for(lock, timeout, [&] { return state_->AckReady(); });
}

bool Future::WaitFor(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->mutex);
  if (timeout.count() <= 0) {
    return state_->Done();
  }
  return shared_->changed.wait_for(lock, timeout, [&] { return state_->Done(); });
}

}  // namespace jobq
