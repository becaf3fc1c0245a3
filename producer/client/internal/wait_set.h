#pragma once
// WaitSet: the futures waiting for jobs' outcomes, by job id, and the WAIT
// messages that register the ids with the broker. A job submitted with
// notify needs none (the broker pushes its outcome unasked); a job waited
// for through Client::Wait does. Every id is registered again on a new
// connection and every wait_resend_interval_ms, as a restarted broker has
// forgotten who waits.
//
// Not thread-safe: the session's thread only. The methods that change a
// FutureState say so and want Shared::mutex held.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "producer/client/internal/message_sink.h"
#include "producer/client/internal/shared_state.h"

namespace jobq::client_internal {

class WaitSet {
 public:
  explicit WaitSet(int64_t resend_interval_ms);

  // Starts the period of the re-sends at `now`.
  void Start(TimeMs now);

  bool empty() const { return waiting_.empty(); }
  // Waits for the outcome of the job `state->ack->id`, to be asked for
  // with a WAIT.
  void Register(std::shared_ptr<FutureState> state);
  // Waits for the outcome the broker pushes unasked: the job `state->ack->id`
  // was submitted with notify.
  void Expect(std::shared_ptr<FutureState> state);

  // WAITs are being sent, to go on once the connection takes them.
  bool ReadyToSend() const { return send_pos_ < send_.size(); }
  // Sends the WAITs due while `sink` is ready. Call only while connected.
  // False when `sink` refused one: every WAIT goes again on the next
  // connection.
  bool SendPending(TimeMs now, MessageSink& sink);
  // Every id is to be registered again: a new connection may be a
  // restarted broker.
  void ResendAll();
  // When every id is next registered again; nullopt while none is waited for.
  std::optional<TimeMs> NextResendAt() const;

  // Completes the futures of the final outcomes in `results`. Call with
  // Shared::mutex held.
  void Complete(const wire::ClientResults& results, ReadyFutures& ready);
  // Fails every future waiting with `status`. Call with Shared::mutex
  // held, then Clear() once it is released.
  void FailAll(const absl::Status& status, ReadyFutures& ready);
  void Clear();

 private:
  const int64_t resend_interval_ms_;
  std::unordered_map<JobId, std::vector<std::shared_ptr<FutureState>>> waiting_;
  std::vector<JobId> new_ids_;  // registered, not yet sent
  bool resend_all_ = false;
  std::vector<JobId> send_;  // ids of the WAIT messages being sent, from send_pos_
  size_t send_pos_ = 0;
  TimeMs next_resend_at_{};
};

}  // namespace jobq::client_internal
