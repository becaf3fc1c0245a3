#pragma once
// BrokerLoop: the broker's one event-loop thread. It owns the frontend and
// backend ROUTER sockets and, through them, drives BrokerCore:
//
//   deadline = core.Tick(now)
//   poll both sockets until a message or the deadline
//   decode up to a batch of messages -> core.On*Message
//   core.Tick -> hand the changed jobs to the store -> send effects
//
// Messages to workers leave at once. Messages to clients (SUBMITTED, RESULT,
// ERROR) wait until the store has committed everything changed before them,
// so an acknowledgement never gets ahead of the store. A durable store
// commits on its own thread (StoreWriter): the loop keeps dispatching while
// the disk syncs, and what changes meanwhile is the next commit. Not thread-safe: Run() and
// everything it calls happen on the loop thread; RequestStop() may be called from any thread or a
// signal handler, FetchStatus() from any thread.
//
// Other threads (the gRPC admin service) reach the loop's state only through
// its mailbox: an inproc ROUTER the loop polls beside the two peer sockets.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/broker_core.h"
#include "broker/net/socket_watch.h"
#include "broker/net/store_writer.h"
#include "broker/net/zap_handler.h"
#include "broker/store/store.h"
#include "common/clock.h"
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
  TimeMs snapshot_interval_ms = 200;   // the fallback when the mailbox is slow
  // Set: both sockets are CURVE servers and a ZapHandler checks every
  // client against the allow-lists (DESIGN.md §9).
  std::optional<curve::ServerKeys> curve;
};

// Called on the loop thread with a fresh status snapshot.
using SnapshotSink = std::function<void(std::shared_ptr<const ::jobq::admin::GetStatusResponse>)>;

class BrokerLoop {
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
  absl::Status Run();
  void RequestStop() { stop_requested_.store(true, std::memory_order_relaxed); }

  // Publishes a status snapshot now. Call before announcing the broker as
  // ready, so the admin service has something to answer with from the start.
  void PublishSnapshot(TimeMs now_ms);

  // Asks the loop, through its mailbox, for the status as of now. Blocks the
  // calling thread up to `timeout_ms`; nullptr when the loop did not answer
  // in time (it is stopped or stuck). Thread-safe; never call it from the
  // loop thread.
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> FetchStatus(TimeMs timeout_ms);

  // Asks the loop to shut down: `drain` sentinels every queue and stops once
  // the workers have drained; otherwise it stops after this iteration.
  // Returns the number of workers left to drain, or an error when the loop
  // did not answer within `timeout_ms`. Thread-safe, as FetchStatus.
  absl::StatusOr<uint32_t> Shutdown(bool drain, TimeMs timeout_ms);

  // The admin job RPCs, answered by the loop from the core. Requests must
  // be checked already (broker/admin/job_requests.h); the loop still
  // refuses malformed ones with kInvalidArgument. kNotFound for GetJob of
  // an unknown job; kUnavailable when the loop did not answer within
  // `timeout_ms`. Thread-safe, as FetchStatus.
  absl::StatusOr<::jobq::admin::ListJobsResponse> ListJobs(
      const ::jobq::admin::ListJobsRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::JobInfo> GetJob(const ::jobq::admin::GetJobRequest& request,
                                                TimeMs timeout_ms);
  // A retry is committed to the store before it is answered as retried.
  absl::StatusOr<::jobq::admin::RetryJobsResponse> RetryJobs(
      const ::jobq::admin::RetryJobsRequest& request, TimeMs timeout_ms);

  // The queue, worker and cancel RPCs, answered the same way (requests
  // checked by broker/admin/job_requests.h). Errors: kNotFound (no such
  // queue or worker), kFailedPrecondition (pausing a paused queue, resuming
  // one that is not, draining a draining worker), kUnavailable (no answer
  // within `timeout_ms`). Cancels and purges are committed to the store
  // before they are answered. Thread-safe, as FetchStatus.
  absl::StatusOr<::jobq::admin::ListQueuesResponse> ListQueues(
      const ::jobq::admin::ListQueuesRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::ListWorkersResponse> ListWorkers(
      const ::jobq::admin::ListWorkersRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::CancelJobsResponse> CancelJobs(
      const ::jobq::admin::CancelJobsRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::PurgeQueueResponse> PurgeQueue(
      const ::jobq::admin::PurgeQueueRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::PauseQueueResponse> PauseQueue(
      const ::jobq::admin::PauseQueueRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::ResumeQueueResponse> ResumeQueue(
      const ::jobq::admin::ResumeQueueRequest& request, TimeMs timeout_ms);
  absl::StatusOr<::jobq::admin::DrainWorkerResponse> DrainWorker(
      const ::jobq::admin::DrainWorkerRequest& request, TimeMs timeout_ms);

 private:
  void ReadSocket(zmq::socket_t& socket, bool frontend, TimeMs now_ms);
  void ServeMailbox(TimeMs now_ms);
  // One round trip through the mailbox: sends [verb] or [verb][body],
  // returns the reply's frames; nullopt on timeout.
  std::optional<std::vector<std::string>> AskLoop(std::string_view verb,
                                                  std::optional<std::string_view> body,
                                                  TimeMs timeout_ms);
  // A job verb's round trip: the serialized response, or the loop's error.
  absl::StatusOr<std::string> AskJobs(std::string_view verb, const std::string& body,
                                      TimeMs timeout_ms);
  // The job verbs on the loop thread: a serialized response or an error.
  absl::StatusOr<std::string> ServeListJobs(std::string_view body) const;
  absl::StatusOr<std::string> ServeGetJob(std::string_view body) const;
  absl::StatusOr<std::string> ServeRetryJobs(std::string_view body);
  absl::StatusOr<std::string> ServeListQueues(std::string_view body) const;
  absl::StatusOr<std::string> ServeListWorkers(std::string_view body, TimeMs now_ms) const;
  absl::StatusOr<std::string> ServeCancelJobs(std::string_view body, TimeMs now_ms);
  absl::StatusOr<std::string> ServePurgeQueue(std::string_view body, TimeMs now_ms);
  absl::StatusOr<std::string> ServePauseQueue(std::string_view body, bool pause);
  absl::StatusOr<std::string> ServeDrainWorker(std::string_view body);
  // Commits what an admin command changed before it is answered; on a
  // store failure the broker stops (Run returns the error).
  absl::Status CommitForAdmin(std::string_view what);
  // A verb's round trip, its answer parsed as Response.
  template <typename Response>
  absl::StatusOr<Response> AskFor(std::string_view verb, const google::protobuf::Message& request,
                                  TimeMs timeout_ms);
  void FillStatus(TimeMs now_ms, ::jobq::admin::GetStatusResponse* status) const;
  absl::Status CommitAndSend();
  // CommitAndSend, then waits until everything is committed and sent.
  absl::Status CommitAndFlush();
  // The synchronous path, for stores that are not durable (memory).
  absl::Status CommitInlineAndSend();
  // Hands the writes gathered so far to the writer, when it is free.
  void StartNextBatch();
  // The writer finished a batch: release the messages that waited for it.
  absl::Status OnBatchCommitted(const absl::Status& status);
  void Send(const core::Outbound& out);
  // Whether `out` is a DISPATCH of an attempt more than one above the
  // attempt the store holds for its job.
  bool AheadOfStore(const core::Outbound& out) const;

  LoopOptions options_;
  core::BrokerCore* core_;
  store::Store* store_;
  const Clock* clock_;
  SnapshotSink snapshot_sink_;
  zmq::context_t context_;
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  zmq::socket_t mailbox_;
  SocketWatch frontend_watch_;
  SocketWatch backend_watch_;
  std::string mailbox_endpoint_;
  std::string frontend_bound_;
  std::string backend_bound_;
  core::Effects effects_;
  std::vector<const core::Job*> changed_scratch_;
  std::unique_ptr<StoreWriter> writer_;  // durable stores only
  std::unique_ptr<ZapHandler> zap_;      // CURVE only
  // Store writes made since the batch in flight was handed over.
  core::Effects unwritten_;
  uint64_t next_batch_ = 1;       // number of the batch being gathered
  uint64_t committed_batch_ = 0;  // highest batch committed
  // Client messages waiting for a batch (FIFO, batch numbers ascending).
  std::deque<std::pair<uint64_t, core::Outbound>> held_;
  // The attempt the store holds for each unfinished job it has (a job it
  // does not have counts as 0), from the batches the writer committed; and
  // what the batch in flight will make of it: (id, attempt, finished).
  std::unordered_map<JobId, uint32_t> committed_attempts_;
  std::vector<std::tuple<JobId, uint32_t, bool>> in_flight_attempts_;
  std::vector<JobId> in_flight_erased_;
  std::string send_scratch_;
  std::atomic<bool> stop_requested_{false};
  absl::Status fatal_;              // an error met outside Run's own calls (the mailbox's commits)
  bool stop_when_drained_ = false;  // Shutdown(drain): stop once no worker is left
  TimeMs next_snapshot_ms_ = 0;
  // Figures of the loop itself (in the status snapshots): how long one
  // iteration takes, and commits of a store that is not durable (a durable
  // one's are timed on the writer's thread).
  core::LatencyHistogram iteration_latency_;
  core::LatencyHistogram inline_commit_latency_;
};

}  // namespace jobq::broker::net
