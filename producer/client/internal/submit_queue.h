#pragma once
// SubmitQueue: the jobs, workflows and sentinels callers handed to a
// ClientSession, in call order (a sentinel stays behind the jobs submitted
// before it), from unsent through sent to acknowledged. It gives each job
// its client_seq and, unless the caller chose one, its submit_token; packs
// jobs into SUBMITs; keeps each job whole until its ack, so that it can be
// sent again with the same client_seq and token; and takes the acks of
// SUBMITTED. Workflows go one per WORKFLOW message, with a client_seq and a
// submit_token of their own (a sequence apart from the jobs', whose seqs
// must stay contiguous within a SUBMIT), and are kept whole until their
// WORKFLOW_SUBMITTED the same way.
//
// Not thread-safe: the session's thread only. The methods that change a
// FutureState say so and want Shared::mutex held.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/clock.h"
#include "jobq/wire.pb.h"
#include "producer/client/internal/message_sink.h"
#include "producer/client/internal/shared_state.h"

namespace jobq::client_internal {

class SubmitQueue {
 public:
  // The random half of a submit_token; the other half is the job's client_seq.
  static constexpr size_t kSubmitTokenPrefixBytes = 8;

  // `token_prefix` holds kSubmitTokenPrefixBytes random bytes, chosen once
  // per Client; `broker_endpoint` is for the log.
  SubmitQueue(size_t batch_jobs_max, size_t batch_bytes_max, std::string broker_endpoint,
              std::string token_prefix);

  // A sentinel sent and not yet acknowledged.
  struct SentSentinel {
    std::shared_ptr<FutureState> state;
    std::string queue;
    TimeMs sent_at;
  };

  // Queues a caller's request behind the earlier ones.
  void Add(OutItem item);

  // Jobs per SUBMIT: the option, or less once the broker said so.
  size_t batch_jobs_max() const { return batch_jobs_max_; }
  size_t unacknowledged_jobs() const { return pending_acks_.size(); }
  size_t unconfirmed_sentinels() const { return sentinels_unconfirmed_.size(); }
  // Workflows taken over from unsent_ and not yet answered.
  size_t unanswered_workflows() const { return pending_workflows_.size(); }
  // Anything not sent, not acknowledged or not confirmed.
  bool HasWork() const;
  // Something would go out if the connection took it.
  bool ReadyToSend() const;

  // Sends while `sink` is ready: first the jobs marked to go again, then
  // the requests in call order, holding back a partial batch while a SUBMIT
  // awaits its ack. Call only while connected. False when `sink` refused a
  // message: its jobs are marked to go again, a refused sentinel stays
  // first in line.
  bool SendPending(TimeMs now, MessageSink& sink);

  // Marks every unacknowledged job and unanswered workflow to be sent
  // again, before anything newer: the first sends of a new connection.
  void ResendAll();
  // The same for the jobs and workflows last sent before `cutoff` only.
  void ResendSentBefore(TimeMs cutoff);

  // A TOO_LARGE refusal of a SUBMIT: learns the broker's batch limit and
  // marks the refused jobs to be sent again. False when the error does not
  // say what to do instead (an older broker).
  bool OnBatchRefused(const wire::Error& error);

  // The latest send of the unacknowledged job with the lowest client_seq;
  // nullopt when there is none.
  std::optional<TimeMs> OldestJobSentAt() const;
  // The send of the oldest unconfirmed sentinel; nullopt when there is none.
  std::optional<TimeMs> OldestSentinelSentAt() const;
  // The earliest latest send of a workflow sent and not answered; nullopt
  // when there is none.
  std::optional<TimeMs> OldestWorkflowSentAt() const;

  // Marks the first `count` unconfirmed sentinels as in their queues: the
  // broker acknowledges sentinels in the order they were sent. Call with
  // Shared::mutex held.
  void ConfirmSentinels(uint32_t count);
  // Sets the ack of the job `ack` is for and stops tracking it. Null when
  // no job of this client_seq awaits one (a duplicate, or an ack for an
  // older connection's batch: harmless). Call with Shared::mutex held.
  std::shared_ptr<FutureState> Acknowledge(const wire::SubmitAck& ack);

  // The workflow `answer` is for, which it stops tracking. Null when no
  // workflow of its client_seq awaits one (a second answer after a
  // re-send: harmless).
  std::shared_ptr<WorkflowState> TakeAnsweredWorkflow(const wire::WorkflowSubmitted& answer);

  // The sentinels sent and not yet confirmed; none are left.
  std::deque<SentSentinel> TakeUnconfirmedSentinels();

  // Fails every request held with `status`. Call with Shared::mutex held,
  // then Clear() once it is released.
  void FailAll(const absl::Status& status, ReadyFutures& ready);
  void Clear();

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

  // A workflow handed over and not yet answered.
  struct PendingWorkflow {
    std::shared_ptr<WorkflowState> state;
    wire::SubmitWorkflow message;   // client_seq and submit_token set
    std::optional<TimeMs> sent_at;  // of the latest send; nullopt: not sent on this connection
  };

  bool ShouldHoldBatch() const;
  // Gives the workflow at the front of unsent_ its seq and token and sends it.
  bool SendNewWorkflow(TimeMs now, MessageSink& sink);
  // Sends the workflows marked to go again. False when `sink` refused one.
  bool ResendWorkflows(TimeMs now, MessageSink& sink);
  bool WorkflowsToResend() const;
  bool SendSubmitBatch(TimeMs now, MessageSink& sink);
  // Sends the next SUBMIT of the re-send that follows a reconnect.
  bool ResendBatch(TimeMs now, MessageSink& sink);
  bool BatchHasRoom(const wire::Submit& submit, size_t batch_bytes, size_t job_bytes) const;
  // Sends `submit`, whose jobs are pending_acks_ from its first_seq on,
  // then moves the jobs back into their PendingAcks. False when refused.
  bool SendSubmit(wire::Submit* submit, MessageSink& sink);
  void SetSubmitToken(uint64_t seq, wire::JobSpec* job) const;
  std::string MakeSubmitToken(uint64_t seq) const;
  // Marks the unacknowledged job `seq` to be sent again before anything newer.
  void MarkForResend(uint64_t seq, PendingAck& pending);

  const size_t batch_bytes_max_;
  const std::string broker_endpoint_;
  const std::string token_prefix_;
  // Jobs per SUBMIT: the option, or less once the broker said so.
  size_t batch_jobs_max_;

  std::deque<OutItem> unsent_;
  std::map<uint64_t, PendingAck> pending_acks_;            // by client_seq; begin() is the oldest
  std::deque<SentSentinel> sentinels_unconfirmed_;         // sent, not yet acknowledged
  std::map<uint64_t, PendingWorkflow> pending_workflows_;  // by their own client_seq
  uint64_t next_seq_ = 1;
  uint64_t next_workflow_seq_ = 1;
  // Set while jobs are marked for a re-send: none is below this
  // client_seq. Newer requests wait until the re-send is done, so they stay
  // behind older jobs.
  std::optional<uint64_t> resend_from_seq_;
};

}  // namespace jobq::client_internal
