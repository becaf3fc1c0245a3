#pragma once
// CommitPipeline: the broker's rule that no acknowledgement gets ahead of the
// store, without sockets or threads, so that the loop and the simulation
// (tests/sim) run the same code.
//
// Each loop step hands its Effects to Take(). Messages to workers leave at
// once; messages to clients (SUBMITTED, RESULT, ERROR), SENTINELs and admin
// answers wait until the store has committed everything changed before
// them. With a durable store the writes go out as batches, one in flight at
// a time (group commit: what changes while the disk syncs is the next
// batch, a job changed many times written once in its latest state); the
// owner commits each batch where it likes (the loop: StoreWriter's thread)
// and reports back with OnBatchCommitted. Without one (memory), Take
// commits inline and sends everything at once.
//
// Not thread-safe: every call on the loop thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "broker/core/stats.h"
#include "broker/net/owned_batch.h"
#include "broker/store/store.h"

namespace jobq::broker::net {

// Called once the writes gathered before it are committed (OK), or with the
// store's error when they never will be (the broker stops).
using CommitReply = std::function<void(const absl::Status&)>;

class CommitPipeline {
 public:
  using SendFn = std::function<void(const core::Outbound&)>;
  using StartBatchFn = std::function<void(OwnedBatch)>;

  // `start_batch` hands a batch to whoever commits it; the owner then calls
  // OnBatchCommitted exactly once for it. Empty: Take commits inline on
  // `store`. `core` and `store` must outlive the pipeline.
  CommitPipeline(const core::BrokerCore* core, store::Store* store, SendFn send,
                 StartBatchFn start_batch);
  // Fails the replies still waiting (a broker that stops answers them).
  ~CommitPipeline();

  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // Takes one step's effects (and clears them): sends what may go now,
  // holds the rest, starts the next batch when none is in flight. Fails
  // only on an inline commit's error, after which nothing held is sent.
  [[nodiscard]] absl::Status Take(core::Effects* effects);

  // The batch in flight is committed (`status` OK) or failed: releases what
  // waited for it and starts the next. A failure drops every held message,
  // fails every reply and is returned: the broker must stop, and a restart
  // recovers from what the store holds.
  [[nodiscard]] absl::Status OnBatchCommitted(const absl::Status& status);

  // Runs `reply` once everything taken so far is committed: at once when
  // nothing is unwritten or in flight.
  void AfterCommit(CommitReply reply);

  // Fails every reply still waiting with `status` and drops held messages.
  void FailPending(const absl::Status& status);

  bool batch_in_flight() const { return in_flight_; }
  // Nothing held, unwritten or in flight.
  bool idle() const { return held_.empty() && !in_flight_ && !unwritten_.has_store_writes(); }
  // Client messages and replies waiting for a commit.
  size_t held() const { return held_.size(); }
  // How long inline commits took (durable stores time theirs elsewhere).
  const core::LatencyHistogram& inline_commit_latency() const { return inline_commit_latency_; }

 private:
  // A message or an admin reply, released when batch `batch` is committed.
  struct Held {
    uint64_t batch;
    core::Outbound message;  // unused when `reply` is set
    CommitReply reply;
  };

  absl::Status CommitInline(core::Effects* effects);
  void StartNextBatch();
  // The batch that what is taken now depends on: the one gathering writes,
  // else the one in flight (it may hold what a message reports); 0 for none.
  uint64_t DependsOnBatch() const;
  void Hold(uint64_t batch, core::Outbound message, CommitReply reply);
  // Whether `out` is a DISPATCH of an attempt more than one above the
  // attempt the store holds for its job.
  bool AheadOfStore(const core::Outbound& out) const;

  const core::BrokerCore* core_;
  store::Store* store_;
  SendFn send_;
  StartBatchFn start_batch_;
  core::Effects unwritten_;  // writes taken since the batch in flight started
  bool in_flight_ = false;
  uint64_t next_batch_ = 1;       // number of the batch being gathered
  uint64_t committed_batch_ = 0;  // highest batch committed
  std::deque<Held> held_;         // batch numbers ascending
  // The attempt the store holds for each unfinished job it has (a job it
  // does not have counts as 0), from the batches committed; and what the
  // batch in flight will make of it: (id, attempt, finished).
  std::unordered_map<JobId, uint32_t> committed_attempts_;
  std::vector<std::tuple<JobId, uint32_t, bool>> in_flight_attempts_;
  std::vector<JobId> in_flight_erased_;
  std::vector<const core::Job*> changed_scratch_;
  core::LatencyHistogram inline_commit_latency_;
};

}  // namespace jobq::broker::net
