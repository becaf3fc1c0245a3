#pragma once
// The state a Client's caller threads, its I/O thread, its Futures and
// CompletionQueues share. Internal to producer/client.
//
// Locking: every mutable field of Shared and FutureState is guarded by
// Shared::mutex; CompletionQueueState has its own mutex. Never hold both:
// whoever completes futures under Shared::mutex collects them in a
// ReadyFutures and hands them to their queues after unlocking.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/job_id.h"
#include "common/wake_fd.h"
#include "jobq/wire.pb.h"
#include "producer/client/future.h"
#include "producer/client/outcome.h"

namespace jobq::client_internal {

struct CompletionQueueState {
  std::mutex mutex;
  std::condition_variable ready_cv;
  std::deque<Future> ready;  // guarded by mutex
  size_t pending = 0;        // given to the queue, not yet returned; guarded by mutex
  // Set when the CompletionQueue is destroyed; later pushes are dropped, or
  // the futures held here (which point back at this state) would leak.
  bool closed = false;  // guarded by mutex

  void Expect();
  void Push(Future future);
};

// One job (or sentinel) as the client tracks it.
struct FutureState {
  FutureState(bool notify_in, uint64_t tag_in, std::shared_ptr<CompletionQueueState> completions_in)
      : notify(notify_in), tag(tag_in), completions(std::move(completions_in)) {}

  const bool notify;
  const uint64_t tag;
  const std::shared_ptr<CompletionQueueState> completions;  // may be null

  // Guarded by Shared::mutex.
  std::optional<SubmitAck> ack;
  std::optional<Outcome> outcome;
  absl::Status failure;
  bool sent = false;       // sentinels only: handed to ZeroMQ while connected
  bool delivered = false;  // handed to `completions` (exactly once)

  bool AckReady() const { return ack.has_value() || !failure.ok(); }
  bool Done() const {
    if (!failure.ok()) {
      return true;
    }
    if (!ack) {
      return false;
    }
    return !notify || !ack->accepted() || outcome.has_value();
  }
};

struct FutureAccess {
  static Future Make(std::shared_ptr<Shared> shared, std::shared_ptr<FutureState> state) {
    return Future(std::move(shared), std::move(state));
  }
};

// One workflow (Client::SubmitWorkflow) as the client tracks it: the
// answer to its WORKFLOW and a FutureState per node, in the order sent.
struct WorkflowState {
  WorkflowState(bool notify_in, std::vector<std::string> names_in,
                std::vector<std::shared_ptr<FutureState>> nodes_in, size_t window_cost_in)
      : notify(notify_in),
        names(std::move(names_in)),
        nodes(std::move(nodes_in)),
        window_cost(window_cost_in) {}

  const bool notify;
  const std::vector<std::string> names;
  const std::vector<std::shared_ptr<FutureState>> nodes;
  // Window slots it holds until answered: its nodes, at most the window.
  const size_t window_cost;

  // Guarded by Shared::mutex.
  bool answered = false;
  std::optional<JobId> id;  // set when accepted
  wire::ErrorInfo error;    // set when rejected
  bool duplicate = false;
  absl::Status failure;

  bool AckReady() const { return answered || !failure.ok(); }
  bool Done() const {
    if (!failure.ok()) {
      return true;
    }
    if (!answered) {
      return false;
    }
    for (const auto& node : nodes) {
      if (!node->Done()) {
        return false;
      }
    }
    return true;
  }
};

// A request from a caller thread to the I/O thread, kept in call order so a
// sentinel stays behind the jobs (and workflows) submitted before it.
struct OutItem {
  enum class Type { kJob, kSentinel, kWorkflow };
  Type type = Type::kJob;
  wire::JobSpec job;                   // kJob
  std::string queue;                   // kSentinel
  std::shared_ptr<FutureState> state;  // kJob, kSentinel
  // kWorkflow: the message without client_seq and submit_token, which the
  // I/O thread sets, and what tracks it.
  std::unique_ptr<wire::SubmitWorkflow> workflow_message = nullptr;
  std::shared_ptr<WorkflowState> workflow = nullptr;
};

struct Shared {
  explicit Shared(WakeFd wake_in) : wake(std::move(wake_in)) {}

  std::mutex mutex;
  // Notified (all) after any change a Future or a window wait may wait for.
  std::condition_variable changed;

  // Guarded by mutex.
  std::deque<OutItem> outbox;
  std::vector<std::shared_ptr<FutureState>> new_waits;  // ack holds the id
  size_t window_used = 0;                               // jobs submitted and not yet acknowledged
  absl::Status failure;  // sticky: once set, every request fails with it
  bool stop = false;
  bool wake_pending = false;
  // Submit wakes the I/O thread once the outbox holds this many jobs. The
  // loop sets 1 while no SUBMIT awaits its ack (send at once, for latency)
  // and a full batch otherwise (it would hold a partial batch anyway).
  size_t wake_after_jobs = 1;

  WakeFd wake;

  // Wakes the I/O thread once per batch of requests. Call with mutex held.
  void WakeLoopLocked() {
    if (!wake_pending) {
      wake_pending = true;
      wake.Notify();
    }
  }
};

// Futures completed under Shared::mutex, delivered to their completion
// queues once it is released.
class ReadyFutures {
 public:
  explicit ReadyFutures(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  ReadyFutures(const ReadyFutures&) = delete;
  ~ReadyFutures() { Deliver(); }

  // Call with Shared::mutex held, right after `state` may have become done.
  void AddIfDone(const std::shared_ptr<FutureState>& state) {
    if (state->completions != nullptr && !state->delivered && state->Done()) {
      state->delivered = true;
      ready_.push_back(state);
    }
  }
  // Call without Shared::mutex held.
  void Deliver() {
    for (auto& state : ready_) {
      state->completions->Push(FutureAccess::Make(shared_, state));
    }
    ready_.clear();
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<FutureState>> ready_;
};

// Fails `state` with `status` unless it is done already. Call with
// Shared::mutex held.
inline void FailIfPending(const std::shared_ptr<FutureState>& state, const absl::Status& status,
                          ReadyFutures& ready) {
  if (!state->Done()) {
    state->failure = status;
    ready.AddIfDone(state);
  }
}

// Fails the workflow `state` and each of its nodes not done yet with
// `status`. Call with Shared::mutex held.
inline void FailWorkflowIfPending(const std::shared_ptr<WorkflowState>& state,
                                  const absl::Status& status, ReadyFutures& ready) {
  if (!state->AckReady()) {
    state->failure = status;
  }
  for (const auto& node : state->nodes) {
    FailIfPending(node, status, ready);
  }
}

}  // namespace jobq::client_internal
