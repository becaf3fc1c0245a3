#pragma once
// Future: the handle Client::Submit and Client::Wait return for one job, in
// the spirit of concurrent.futures.Future. It goes through two steps:
//
//   pending --SUBMITTED--> acknowledged (id) or rejected --RESULT--> finished
//
// A future made with notify=false is done once acknowledged; one made with
// notify=true (the default), or by Client::Wait, once its outcome arrives.
// If the client fails (broker unreachable, client closed) every future that
// is not done yet completes with that status.
//
// Thread-safe: a Future is a cheap shared handle; copies see the same job and
// may be used from any thread, also after the Client is gone.

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "producer/client/outcome.h"

namespace jobq {

namespace client_internal {
struct Shared;
struct FutureState;
struct FutureAccess;
}  // namespace client_internal

class Future {
 public:
  // An empty handle; only valid() and assignment may be used.
  Future() = default;

  bool valid() const { return state_ != nullptr; }

  // The caller's tag from SubmitOptions (for Client::Wait: the id's index).
  uint64_t tag() const;
  // Whether the broker is asked to report the outcome.
  bool notify() const;

  // Blocks until the broker acknowledged or rejected the job. A rejection
  // is a SubmitAck with accepted() false, not an error; the error status is
  // the client's failure (kUnavailable: broker unreachable; kCancelled:
  // client closed; kInvalidArgument: a spec the client refused to send).
  absl::StatusOr<SubmitAck> Ack() const;

  // Blocks until the job finished and returns how it ended, whatever the
  // state (succeeded, failed, dead, cancelled, or unknown). Errors: the
  // client's failure as for Ack(); kFailedPrecondition when the job was
  // rejected (the message names the broker's reason) or submitted with
  // notify=false.
  absl::StatusOr<Outcome> Result() const;

  // Blocks like Result() and returns the outcome when the job succeeded.
  // Throws RemoteError in every other case: the job failed/died/was
  // cancelled (the worker's error), was rejected, is unknown, or the client
  // failed (type: the status code in lower case, e.g. "unavailable").
  Outcome Get() const;

  // True once Ack() would not block; waits up to `timeout` for that.
  bool WaitForAck(std::chrono::milliseconds timeout) const;
  // True once the future is done (see above); waits up to `timeout`.
  bool WaitFor(std::chrono::milliseconds timeout) const;

 private:
  friend struct client_internal::FutureAccess;
  Future(std::shared_ptr<client_internal::Shared> shared,
         std::shared_ptr<client_internal::FutureState> state)
      : shared_(std::move(shared)), state_(std::move(state)) {}

  std::shared_ptr<client_internal::Shared> shared_;
  std::shared_ptr<client_internal::FutureState> state_;
};

}  // namespace jobq
