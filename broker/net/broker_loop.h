#pragma once
// BrokerLoop: the broker's one event-loop thread. It owns the frontend and
// backend ROUTER sockets and, through them, drives BrokerCore:
//
//   deadline = core.Tick(now)
//   poll both sockets until a message or the deadline
//   decode up to a batch of messages -> core.On*Message
//   run the tasks other threads posted
//   core.Tick -> CommitPipeline (store first, then acknowledgements) -> send
//
// What waits for the store and what does not is CommitPipeline's to say
// (commit_pipeline.h); a durable store commits on its own thread
// (StoreWriter), so the loop keeps dispatching while the disk syncs.
//
// Other threads (the gRPC admin service) reach the loop's state only by
// posting a task (Post): a closure the loop runs between two iterations,
// with the core in hand (Envoy's Dispatcher::post is the model). A task
// answers its caller by a callback it carries, never by blocking the
// caller. Not thread-safe otherwise: Run() and everything it calls happen
// on the loop thread; RequestStop() may be called from any thread or a
// signal handler, Post() from any thread.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "broker/core/broker_core.h"
#include "broker/net/commit_pipeline.h"
#include "broker/net/socket_watch.h"
#include "broker/net/store_writer.h"
#include "broker/net/zap_handler.h"
#include "broker/store/store.h"
#include "common/clock.h"
#include "common/wake_fd.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::net {

struct LoopOptions {
  std::string frontend_endpoint;  // e.g. tcp://127.0.0.1:5555 or tcp://127.0.0.1:*
  std::string backend_endpoint;
  // Per message (ZMQ_MAXMSGSIZE), and per connection: what an unfinished
  // message can hold.
  int64_t max_message_bytes = 17 << 20;
  // Connections per socket; one accepted beyond is closed at once. With
  // max_message_bytes, the bound on what unfinished messages hold.
  size_t connections_max = 1000;
  int send_high_water_mark = 100'000;  // messages queued per peer before ZeroMQ drops
  int messages_per_iteration = 1024;   // bounds latency of a busy socket on the other
  TimeMs snapshot_interval_ms = 200;   // what /metrics and a stopped loop answer from
  // Set: both sockets are CURVE servers and a ZapHandler checks every
  // client against the allow-lists (DESIGN.md §9).
  std::optional<curve::ServerKeys> curve;
  // What the loop does not know, added to every status it fills (the
  // leadership of brokers sharing a store). Called on the loop thread.
  std::function<void(::jobq::admin::GetStatusResponse*)> stamp_status;
};

// Called on the loop thread with a fresh status snapshot.
using SnapshotSink = std::function<void(std::shared_ptr<const ::jobq::admin::GetStatusResponse>)>;

// What a task posted to the loop works with: valid during the task, on the
// loop thread.
class LoopContext {
 public:
  virtual core::BrokerCore& core() = 0;
  // Where the task puts what it changes and sends; the loop commits and
  // sends it after the task.
  virtual core::Effects& effects() = 0;
  virtual TimeMs now_ms() const = 0;
  // The status as of now, with the loop's own figures.
  virtual void FillStatus(::jobq::admin::GetStatusResponse* status) const = 0;
  // Runs `reply` once what the task changed so far is committed, or with
  // the store's error (then the broker stops). For answers that are
  // acknowledgements (a retry, a cancel): like SUBMITTED, they leave only
  // once the store has the change.
  virtual void AfterCommit(CommitReply reply) = 0;
  // Stops once no worker is connected (a drain), or after this iteration.
  virtual void StopWhenDrained() = 0;
  virtual void StopNow() = 0;

 protected:
  ~LoopContext() = default;
};

// Runs on the loop thread with the loop's context; with nullptr, on the
// poster's thread, when the loop has stopped and will never run it.
using LoopTask = std::function<void(LoopContext* loop)>;

class BrokerLoop final : private LoopContext {
 public:
  // `core`, `store` and `clock` must outlive the loop.
  BrokerLoop(const LoopOptions& options, core::BrokerCore* core, store::Store* store,
             const Clock* clock, SnapshotSink snapshot_sink);
  ~BrokerLoop();

  // Binds both sockets. On success the endpoints actually bound (with the
  // port chosen for "*") are available below.
  [[nodiscard]] absl::Status Bind();
  const std::string& frontend_endpoint() const { return frontend_bound_; }
  const std::string& backend_endpoint() const { return backend_bound_; }

  // Runs until RequestStop(). Returns the error that stopped it, if any.
  // Every task posted is run, or told (nullptr) that it never will be,
  // before it returns.
  absl::Status Run();
  // Async-signal-safe.
  void RequestStop();
  // Any thread: this broker may no longer serve (it lost its leadership).
  // The loop stops at its next iteration without waiting for commits, fails
  // what waits for one, sends nothing more, and Run returns `why`.
  void StepDown(absl::Status why);

  // Publishes a status snapshot now. Call before announcing the broker as
  // ready, so the admin service has something to answer with from the start.
  void PublishSnapshot(TimeMs now_ms);

  // Runs `task` on the loop thread within an iteration; at once with
  // nullptr when the loop has stopped. Thread-safe; never blocks on the loop.
  void Post(LoopTask task);

 private:
  // LoopContext, for the tasks.
  core::BrokerCore& core() override { return *core_; }
  core::Effects& effects() override { return effects_; }
  TimeMs now_ms() const override { return task_now_ms_; }
  void FillStatus(::jobq::admin::GetStatusResponse* status) const override;
  void AfterCommit(CommitReply reply) override;
  void StopWhenDrained() override { stop_when_drained_ = true; }
  void StopNow() override { RequestStop(); }

  void ReadSocket(zmq::socket_t& socket, bool frontend, TimeMs now_ms);
  // Runs the tasks posted so far.
  void RunTasks(TimeMs now_ms);
  // Refuses new tasks and tells those still queued that the loop stopped.
  void CloseTasks();
  void FillStatus(TimeMs now_ms, ::jobq::admin::GetStatusResponse* status) const;
  // Hands this step's effects to the pipeline; an error stops the broker.
  void TakeEffects();
  // Waits until everything taken is committed and sent.
  absl::Status Flush();
  void Send(const core::Outbound& out);

  LoopOptions options_;
  core::BrokerCore* core_;
  store::Store* store_;
  const Clock* clock_;
  SnapshotSink snapshot_sink_;
  zmq::context_t context_;
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  SocketWatch frontend_watch_;
  SocketWatch backend_watch_;
  std::string frontend_bound_;
  std::string backend_bound_;
  core::Effects effects_;
  std::unique_ptr<StoreWriter> writer_;  // durable stores only
  std::unique_ptr<CommitPipeline> pipeline_;
  std::unique_ptr<ZapHandler> zap_;  // CURVE only
  std::string send_scratch_;
  WakeFd wake_;  // posts and stop requests wake the poll
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stepping_down_{false};
  std::mutex step_down_mutex_;
  absl::Status step_down_why_;      // guarded by step_down_mutex_
  absl::Status fatal_;              // what stopped the loop from inside a step
  bool stop_when_drained_ = false;  // a drain: stop once no worker is left
  TimeMs next_snapshot_ms_ = 0;
  TimeMs task_now_ms_ = 0;  // the time the tasks of this iteration see
  std::mutex tasks_mutex_;
  std::vector<LoopTask> tasks_;  // guarded by tasks_mutex_
  bool tasks_closed_ = false;    // guarded by tasks_mutex_
  // Figures of the loop itself (in the status snapshots): how long one
  // iteration takes.
  core::LatencyHistogram iteration_latency_;
};

}  // namespace jobq::broker::net
