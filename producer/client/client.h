#pragma once
// Client: a producer's connection to the jobq broker, a distributed
// concurrent.futures (DESIGN.md §1). Submit() returns a Future at once; the
// client batches jobs into SUBMIT messages, keeps a bounded window of
// unacknowledged jobs, and completes futures as SUBMITTED and RESULT
// messages arrive. For streaming many jobs with progress reports see
// producer/client/bulk_submit.h.
//
//   auto client = jobq::Client::Create({.broker_endpoint = "tcp://127.0.0.1:5555"});
//   jobq::Future f = (*client)->Submit(spec);
//   jobq::Outcome done = f.Get();  // throws jobq::RemoteError if the job failed
//
// Lost connections (a broker killed and restarted, say): the client
// reconnects on its own and, on the new connection, first sends again every
// job not yet acknowledged, in submit order and with its original
// client_seq, then whatever was submitted meanwhile. No job is created
// twice by this: the client gives every job a JobSpec.submit_token (8 random
// bytes per Client, then the job's client_seq) unless the caller set one,
// and the broker acknowledges a second job with a token it already has with
// the first job's id. WAIT registrations are sent again too. Sentinels are
// not: one sent but not acknowledged when the connection was lost fails
// (kUnavailable) once a new connection is up, as it may or may not be in
// its queue and a second one would be a second barrier.
//
// Thread-safety: thread-safe. A background I/O thread, started by Create()
// and joined by the destructor, is the only one that touches the ZeroMQ
// sockets; every public method may be called from any thread. Methods that
// block (Submit on a full window, SendSentinel, Future waits) are always
// released when the client fails: if the broker cannot be reached at first,
// stops answering while connected, or cannot be reached again within
// reconnect_timeout_ms after a lost connection, every pending request fails
// with kUnavailable (saying which of them may have been accepted) and so
// does every later one (create a new Client to try again). No method
// throws; only Future::Get does, by design.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "producer/client/completion_queue.h"
#include "producer/client/future.h"
#include "producer/client/outcome.h"
#include "producer/client/workflow.h"

namespace zmq {
class context_t;
}  // namespace zmq

namespace jobq {

// What to run: task name, payload and options (wire.proto documents each).
// A delayed job sets not_before_ms, unix ms (the broker's clock decides):
// the broker keeps it `scheduled`, durably, until then; a time already
// past means now.
//
//   spec.set_not_before_ms(jobq::WallNowMs() + 30'000);  // in 30 s
using JobSpec = wire::JobSpec;

inline constexpr std::string_view kDefaultBrokerEndpoint = "tcp://127.0.0.1:5555";

struct ClientOptions {
  // The broker's frontend, a ZeroMQ endpoint; for brokers sharing one
  // store, each one's, separated by commas ("tcp://a:5555,tcp://b:5555"):
  // the client talks to the leader, whichever that is, and re-sends what
  // is unacknowledged to a new one (docs/protocol.md, "Several brokers").
  std::string broker_endpoint = std::string(kDefaultBrokerEndpoint);
  // The broker must first answer within this (a connection it closes
  // before answering, as one at its --connections-max does, counts for
  // nothing), and while connected a SUBMIT or SENTINEL must be
  // acknowledged within it (counted from its latest send, or from the
  // latest ack if later). Once the broker has answered, a lost connection
  // is timed by reconnect_timeout_ms instead.
  int64_t connect_timeout_ms = 5000;
  // After a connection was lost, how long to keep reconnecting while
  // requests are pending (a broker restart, recovery included) before
  // failing them; connections closed again before the broker answers on
  // them do not restart it. Unacknowledged jobs are re-sent on the new
  // connection.
  int64_t reconnect_timeout_ms = 30000;
  // While waiting for outcomes, WAIT is re-sent this often for every job
  // still outstanding, so a restarted broker learns who waits.
  int64_t wait_resend_interval_ms = 2000;
  // Jobs per SUBMIT message, and their encoded size, at most (a single
  // larger job is still sent alone; the broker judges it). A broker whose
  // --batch-max is lower refuses a larger SUBMIT saying its limit; the
  // client then sends those jobs again in smaller SUBMITs (nothing is
  // created twice) and keeps to that limit from then on.
  size_t batch_jobs_max = 1000;
  size_t batch_bytes_max = 4 << 20;
  // Submitted but unacknowledged jobs at most; Submit blocks beyond this,
  // which bounds memory when streaming a huge file. The client keeps each
  // of these jobs whole until its ack, to send it again after a reconnect.
  size_t window_jobs_max = 20000;
  // CURVE (DESIGN.md §9), against a broker started with --curve-secret-key:
  // the broker's public key and this producer's key pair, each as 40 Z85
  // characters or 32 raw bytes (common/curve_keys.h reads them from the
  // files `jobq keygen` writes). All three or none (plaintext). A broker
  // that refuses the key fails the client with kPermissionDenied; one that
  // wants CURVE from a client without keys, or whose key does not match,
  // with kFailedPrecondition; each message says what to change.
  std::string curve_server_key;
  std::string curve_public_key;
  std::string curve_secret_key;
  // What the timeouts above and the WAIT re-sends run on: unset for the
  // monotonic clock. Tests pass a ManualClock, which must outlive the Client.
  const Clock* clock = nullptr;
};

struct SubmitOptions {
  // Ask the broker to push the outcome; Future::Result needs it.
  bool notify = true;
  // Returned by Future::tag(); BulkSubmit uses it for the job's index.
  uint64_t tag = 0;
  // Receives the future once done. Not owned; see completion_queue.h.
  CompletionQueue* completions = nullptr;
};

class Client {
 public:
  // Validates `options`, creates the socket and starts the I/O thread.
  // Errors: kInvalidArgument for a malformed endpoint or option; kInternal
  // when the process is out of file descriptors. Never blocks on the
  // network: an unreachable broker shows up as kUnavailable on requests.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  // Stops the I/O thread. Futures not done yet fail with kCancelled. Waits
  // at most min(1 s, connect_timeout) for queued messages to go out, and
  // only while connected; otherwise nothing is waited for.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues one job and returns its future. Blocks while window_jobs_max
  // jobs are unacknowledged. Jobs submitted from one thread are sent in
  // order. A spec without a task fails its future with kInvalidArgument; a
  // failed client fails it with the client's status. A submit_token set by
  // the caller is kept (it must then be unique per job); otherwise the
  // client sets one.
  Future Submit(JobSpec spec, const SubmitOptions& options = {});

  // Submits a workflow (producer/client/workflow.h): a DAG of jobs the
  // broker creates whole or not at all, once durable. Names the unnamed
  // nodes (NameUnnamedNodes), then returns at once, unless the window is
  // full: a workflow holds min(nodes, window_jobs_max) slots until
  // answered. A spec CheckWorkflowSpec refuses, or a node whose fields are
  // not UTF-8, fails the handle's futures with kInvalidArgument and sends
  // nothing; the broker's refusals (bad_request naming the node, e.g. for a
  // cycle; queue_full; shutting_down) come as a WorkflowAck not accepted,
  // and every node's Future then holds that refusal as its SubmitAck.
  // After a lost connection the workflow is sent again with the same
  // client_seq and submit_token until answered: it is created at most
  // once. Ordered with Submit and SendSentinel calls of the same thread.
  WorkflowHandle SubmitWorkflow(WorkflowSpec spec, const WorkflowOptions& options = {});

  // Futures for jobs submitted earlier (by anyone): each completes with the
  // job's outcome when it finishes, at once if it already has, or with an
  // "unknown" outcome (error.type "unknown_job") when the broker does not
  // know the id. Returns immediately; futures[i] is ids[i], with tag i.
  std::vector<Future> Wait(std::span<const JobId> ids, CompletionQueue* completions = nullptr);

  // Asks the broker to put a sentinel into `queue` behind every job this
  // client submitted before the call (DESIGN.md §5). Blocks until the broker
  // acknowledged it (it is then in the queue, and durable), or fails like a
  // submit when the broker does not answer within the connect timeout. If
  // the connection is lost before the ack, it fails with kUnavailable once
  // reconnected (the sentinel may or may not be in the queue; it is not
  // re-sent) while the client itself stays usable.
  absl::Status SendSentinel(std::string_view queue);

  // OK while healthy; the sticky failure afterwards.
  absl::Status status() const;

  const ClientOptions& options() const { return options_; }

 private:
  explicit Client(ClientOptions options);
  absl::Status Start();

  const ClientOptions options_;
  std::unique_ptr<zmq::context_t> context_;  // outlives the I/O thread, which closes the sockets
  std::shared_ptr<client_internal::Shared> shared_;
  std::thread io_thread_;
};

}  // namespace jobq
