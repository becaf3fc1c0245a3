#pragma once
// BrokerConnection: the worker's side of the broker protocol
// (docs/protocol.md), run on one thread: a DEALER socket to the broker,
// polled next to the result mailbox and the stop request.
//
//   HELLO ──▶ WELCOME        register (a new registration number); resend
//                            the same HELLO every hello_resend_ms until its
//                            WELCOME, then HEARTBEAT every interval
//   DISPATCH ──▶ pool        run each job on the pool for its kind, if the
//                            DISPATCH is of the latest registration
//   results ──▶ RESULT, CREDIT   one batch per loop iteration, then one
//                            CREDIT per pool: the slots freed since HELLO
//   CANCEL                   set the jobs' cancellation tokens
//   SENTINEL(queue)          stop serving it; with no queue left, finish
//                            in-flight jobs, send their results, BYE, return
//   RECONNECT                a new registration (HELLO), unless a HELLO
//                            is already waiting for its WELCOME
//   silence for liveness_misses × heartbeat_interval_ms
//                            the broker is gone: close the socket, back off
//                            (exponential, jittered), open a new DEALER and
//                            HELLO again, listing the jobs still running;
//                            results finished meanwhile go after WELCOME
//
// Several brokers sharing a store (broker_endpoint "tcp://a:5556,tcp://b:5556"):
// the DEALER connects to each, with ZMQ_IMMEDIATE, so messages go only where
// a connection is up: to the leader, the only one that accepts
// (docs/protocol.md, "Several brokers"). After a takeover the worker hears
// nothing, opens a new socket as above and registers with the new leader.
//
// Bad input from the broker is logged and dropped; it never ends the loop.
//
// Thread-safety: Run() on one thread, once. RequestStop() from any thread
// or a signal handler.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/transport/zmq_messages.h"
#include "common/wake_fd.h"
#include "jobq/wire.pb.h"
#include "worker/conn/backoff.h"
#include "worker/conn/handshake_monitor.h"
#include "worker/conn/in_flight_jobs.h"
#include "worker/conn/process_stats.h"
#include "worker/conn/progress_throttle.h"
#include "worker/conn/result_mailbox.h"
#include "worker/conn/worker_messages.h"
#include "worker/pools/job_pool.h"
#include "worker/tasks/task_registry.h"

namespace jobq::worker {

struct ConnectionOptions {
  // One endpoint, or several brokers' separated by commas.
  std::string broker_endpoint = "tcp://127.0.0.1:5556";
  WorkerIdentity identity;
  std::vector<std::string> queues = {"default"};
  // Used until the broker's WELCOME says otherwise.
  uint32_t heartbeat_interval_ms = 1000;
  uint32_t liveness_misses = 3;
  uint32_t hello_resend_ms = 1000;
  uint32_t reconnect_initial_ms = 100;
  uint32_t reconnect_max_ms = 5000;
  // How long the final BYE may wait to be delivered when the loop ends.
  uint32_t bye_linger_ms = 1000;
  // How long a drain (RequestDrain) may take before the worker stops anyway.
  uint32_t drain_grace_ms = 30'000;
  uint64_t jitter_seed = 0;
  // This process's Hello.instance; 0 picks a random one.
  uint64_t instance = 0;
  // Limits on one RESULT message; a larger batch goes out as several.
  size_t max_results_per_message = 1000;
  size_t max_result_message_bytes = 4 << 20;
  // The largest result the broker keeps, used until its WELCOME says. A
  // larger result fails its job (result_too_large) here: sent, it would be
  // refused or cut off with the connection, and the job run again for the
  // same outcome.
  size_t result_bytes_max = 16 << 20;
  // The worker's child processes (the CPU pool's), whose CPU and memory
  // HEARTBEAT adds to the worker's own; unset for none. Called on the
  // connection thread.
  std::function<std::vector<pid_t>()> child_pids;
  // CURVE (DESIGN.md §9): the broker's public key and this worker's pair;
  // unset for plaintext. A refused handshake is logged with what to change
  // and retried with backoff, as an operator may fix the allow-list.
  std::optional<curve::ClientKeys> curve;
  // What every timer above runs on: unset for the monotonic clock. Tests
  // pass a ManualClock, which must outlive the connection.
  const Clock* clock = nullptr;
};

enum class ConnectionExit {
  kQueuesDone,     // every served queue got its SENTINEL (or a drain ended) and the jobs are done
  kStopRequested,  // RequestStop(): BYE sent, in-flight jobs cancelled
  kBadEndpoint,    // ZeroMQ refused broker_endpoint; nothing was sent
};

class BrokerConnection {
 public:
  // `context`, `registry` and `pools` must outlive the connection, and the
  // pools must be stopped before it is destroyed: their completions post
  // into it. `pools` is non-empty; a job whose kind has no pool of its own
  // runs on the first.
  BrokerConnection(zmq::context_t& context, ConnectionOptions options, const TaskRegistry& registry,
                   std::vector<JobPool*> pools);
  BrokerConnection(const BrokerConnection&) = delete;
  BrokerConnection& operator=(const BrokerConnection&) = delete;

  // Serves the broker until a way out in ConnectionExit. On
  // kStopRequested, jobs may still be running (cancelled); stopping the
  // pools waits for them.
  ConnectionExit Run();

  // Makes Run() send BYE and return kStopRequested soon. Async-signal-safe.
  void RequestStop();

  // Drain: take no more jobs, tell the broker, finish the jobs held, then
  // BYE and kQueuesDone; after drain_grace_ms, as RequestStop().
  // Async-signal-safe.
  void RequestDrain();

 private:
  enum class Phase {
    kHelloSent,      // socket open, waiting for WELCOME
    kRegistered,     // WELCOME received
    kWaitingToOpen,  // socket closed after the broker went quiet
  };

  int64_t NowMs() const { return clock_.NowMs(); }
  void BeginDrain(int64_t now_ms);
  int64_t LivenessMs() const;

  bool OpenSocket(int64_t now_ms);
  void CloseSocket(uint32_t linger_ms);
  void LoseBroker(int64_t now_ms);
  // Reports failed handshakes (a refused key, say) and backs off from them.
  void CheckHandshakes(int64_t now_ms);
  void Send(Command command, const google::protobuf::MessageLite& body);

  void Poll(const ClockSleeper& sleeper);
  int64_t NextTimerMs() const;
  void RunTimers(int64_t now_ms);

  void ReceiveAll(int64_t now_ms);
  void HandleMessage(const ReceivedMessage& message, int64_t now_ms);
  void HandleWelcome(const wire::Welcome& welcome, int64_t now_ms);
  void HandleSentinel(const wire::Sentinel& sentinel);
  // Whether DISPATCH's jobs are this registration's, with this broker
  // process; registers anew when another broker process leases under it.
  bool AcceptDispatch(const wire::Dispatch& dispatch, int64_t now_ms);
  void RegisterAgain(const char* why, int64_t now_ms);
  void StartJob(wire::DispatchedJob job);
  JobPool* PoolFor(const wire::DispatchedJob& job) const;

  // A new registration takes the next number and restarts the CREDIT
  // totals; a re-sent HELLO keeps both.
  void SendHello(int64_t now_ms, bool new_registration);
  void SendHeartbeat();
  void CollectResults();
  void FlushResults();
  // PROGRESS with unsent_progress_, when registered.
  void FlushProgress();
  // Turns a success whose result is over result_bytes_max_ into a failure.
  void FailAsTooLarge(wire::JobResult& result) const;
  ConnectionExit Finish(ConnectionExit exit);

  zmq::context_t& context_;
  const ConnectionOptions options_;
  const TaskRegistry& registry_;
  const std::vector<JobPool*> pools_;
  const Clock& clock_;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> drain_requested_{false};
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  // Ends Poll() for RequestStop(), RequestDrain() and a clock moved by hand.
  WakeFd wake_ = WakeFd::CreateOrDie();
  ResultMailbox mailbox_;

  std::optional<zmq::socket_t> socket_;
  Phase phase_ = Phase::kWaitingToOpen;
  std::set<std::string> queues_;  // served; SENTINEL removes
  uint32_t heartbeat_interval_ms_;
  uint32_t liveness_misses_;
  size_t result_bytes_max_;
  int64_t last_heard_ms_ = 0;  // last well-formed message from the broker
  int64_t hello_sent_ms_ = 0;
  int64_t next_heartbeat_ms_ = 0;
  int64_t open_at_ms_ = 0;  // when kWaitingToOpen ends
  Backoff backoff_;

  InFlightJobs in_flight_;
  std::vector<UnsentResult> unsent_;  // finished, not yet in a RESULT
  // Progress reports: which go out (at most 10 a second per job), and those
  // to send before the next RESULT.
  ProgressThrottle progress_throttle_;
  wire::Progress unsent_progress_;
  const uint64_t instance_;
  uint64_t registration_ = 0;  // of the latest HELLO sent
  uint64_t broker_ = 0;        // Welcome.broker of the registration's WELCOME
  // Slots freed per pool under the current registration, and the total the
  // last CREDIT sent. A new registration sets them to the unsent results
  // its HELLO lists: the broker starts a worker's credit at capacity minus
  // what HELLO lists, and those slots come back with the first CREDIT.
  std::map<TaskKind, uint64_t> freed_total_;
  std::map<TaskKind, uint64_t> credited_;
  // Slots of jobs refused for want of room, credited at the next heartbeat.
  std::map<TaskKind, uint64_t> refused_slots_;
  JobCounters counters_;
  ProcessStats stats_;
  HandshakeMonitor handshakes_;
  int silent_handshake_failures_ = 0;  // NO_DETAIL failures since the last good handshake
  bool several_brokers_ = false;       // broker_endpoint lists more than one
  std::string scratch_;
};

}  // namespace jobq::worker
