#include "worker/conn/broker_connection.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <random>
#include <utility>

#include "common/check.h"
#include "common/endpoint_list.h"
#include "common/job_id.h"
#include "common/log.h"
#include "common/progress_limits.h"
#include "common/time_limits.h"
#include "worker/tasks/run_job.h"

namespace jobq::worker {
namespace {

// RequestStop() runs in signal handlers, where only lock-free atomics are safe.
static_assert(std::atomic<bool>::is_always_lock_free);

// A broker asking for heartbeats faster than this would keep the loop
// spinning on timers; the floor keeps a misconfiguration harmless.
constexpr uint32_t kMinHeartbeatIntervalMs = 10;
// Messages handled per loop iteration before results get their turn, so a
// flood from the broker cannot starve the RESULT/CREDIT path.
constexpr int kMaxMessagesPerIteration = 1000;

constexpr char kErrorWorkerOverloaded[] = "worker_overloaded";
constexpr int64_t kMaxBrokerMessageBytes = int64_t{1} << 30;

template <typename Body>
bool ParseBody(const ReceivedMessage& message, Body* body) {
  const std::string_view bytes = message.decoded.body;
  if (body->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return true;
  }
  JOBQ_LOG(kWarning, "worker", "bad_body")
      .Kv("command", CommandName(message.decoded.command))
      .Kv("bytes", bytes.size());
  return false;
}

// Never 0: a HELLO without an instance is one whose sender numbers nothing.
uint64_t RandomInstance() {
  std::random_device device;
  uint64_t instance = 0;
  while (instance == 0) {
    instance = (uint64_t{device()} << 32) | device();
  }
  return instance;
}

std::string Join(const std::set<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    joined += (joined.empty() ? "" : ",") + item;
  }
  return joined;
}

}  // namespace

BrokerConnection::BrokerConnection(zmq::context_t& context, ConnectionOptions options,
                                   const TaskRegistry& registry, std::vector<JobPool*> pools)
    : context_(context),
      options_(std::move(options)),
      registry_(registry),
      pools_(std::move(pools)),
      clock_(options_.clock != nullptr ? *options_.clock : DefaultMonotonicClock()),
      queues_(options_.queues.begin(), options_.queues.end()),
      heartbeat_interval_ms_(std::max(kMinHeartbeatIntervalMs, options_.heartbeat_interval_ms)),
      liveness_misses_(std::max<uint32_t>(1, options_.liveness_misses)),
      result_bytes_max_(options_.result_bytes_max),
      backoff_(options_.reconnect_initial_ms, options_.reconnect_max_ms, options_.jitter_seed),
      instance_(options_.instance != 0 ? options_.instance : RandomInstance()),
      stats_(options_.child_pids) {
  JOBQ_CHECK(!pools_.empty()) << "a worker runs jobs on at least one pool";
  JOBQ_CHECK(!queues_.empty()) << "flags guarantee at least one queue";
  JOBQ_CHECK(options_.max_results_per_message >= 1) << "a RESULT carries at least one result";
  for (JobPool* pool : pools_) {
    ResultMailbox* mailbox = &mailbox_;
    pool->SetProgressPost(
        [mailbox](wire::ProgressReport report) { mailbox->PostProgress(std::move(report)); });
  }
}

ConnectionExit BrokerConnection::Run() {
  JOBQ_LOG(kInfo, "worker", "started")
      .Kv("name", options_.identity.name)
      .Kv("broker", options_.broker_endpoint)
      .Kv("queues", Join(queues_))
      .Kv("io_slots", pools_.front()->capacity());
  if (!OpenSocket(NowMs())) {
    return ConnectionExit::kBadEndpoint;
  }
  SendHello(NowMs(), /*new_registration=*/true);
  const ClockSleeper sleeper(clock_, [this] { wake_.Notify(); });
  while (true) {
    Poll(sleeper);
    if (stop_requested_.load()) {
      return Finish(ConnectionExit::kStopRequested);
    }
    if (drain_requested_.load() && !draining_) {
      BeginDrain(NowMs());
    }
    if (draining_ && NowMs() >= drain_deadline_ms_) {
      JOBQ_LOG(kWarning, "worker", "drain_timed_out")
          .Kv("grace_ms", options_.drain_grace_ms)
          .Kv("in_flight", in_flight_.size());
      return Finish(ConnectionExit::kStopRequested);
    }
    CheckHandshakes(NowMs());
    ReceiveAll(NowMs());
    CollectResults();
    FlushResults();
    RunTimers(NowMs());
    // Results wait for a broker to take them; with nothing left to report
    // there is no reason to wait for one.
    if (queues_.empty() && in_flight_.empty() && unsent_.empty()) {
      return Finish(ConnectionExit::kQueuesDone);
    }
  }
}

void BrokerConnection::RequestStop() {
  stop_requested_.store(true);
  wake_.Notify();
}

void BrokerConnection::RequestDrain() {
  drain_requested_.store(true);
  wake_.Notify();
}

void BrokerConnection::BeginDrain(int64_t now_ms) {
  draining_ = true;
  drain_deadline_ms_ = now_ms + options_.drain_grace_ms;
  // With no queue left no CREDIT goes out, and the loop ends once the jobs
  // held are reported.
  queues_.clear();
  JOBQ_LOG(kInfo, "worker", "draining")
      .Kv("in_flight", in_flight_.size())
      .Kv("grace_ms", options_.drain_grace_ms);
  if (phase_ == Phase::kRegistered) {
    SendHeartbeat();  // tells the broker at once to send nothing more
  }
}

int64_t BrokerConnection::LivenessMs() const {
  return int64_t{liveness_misses_} * heartbeat_interval_ms_;
}

bool BrokerConnection::OpenSocket(int64_t now_ms) {
  try {
    socket_.emplace(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::linger, 0);
    // A send must never block the loop. With no room the message is
    // dropped, which the protocol survives: HELLO is resent, and a lost
    // RESULT means the job runs again (delivery is at least once).
    socket_->set(zmq::sockopt::sndtimeo, 0);
    // A bound on what a peer posing as the broker can make us allocate. A
    // real DISPATCH holds at most one credited batch of jobs (payloads of
    // at most the broker's --payload-max each), far below it.
    socket_->set(zmq::sockopt::maxmsgsize, kMaxBrokerMessageBytes);
    if (options_.curve) {
      const curve::ClientKeys& keys = *options_.curve;
      if (zmq_setsockopt(socket_->handle(), ZMQ_CURVE_SERVERKEY, keys.server_public_key.data(),
                         keys.server_public_key.size()) != 0 ||
          zmq_setsockopt(socket_->handle(), ZMQ_CURVE_PUBLICKEY, keys.own.public_key.data(),
                         keys.own.public_key.size()) != 0 ||
          zmq_setsockopt(socket_->handle(), ZMQ_CURVE_SECRETKEY, keys.own.secret_key.data(),
                         keys.own.secret_key.size()) != 0) {
        throw zmq::error_t();
      }
    }
    absl::StatusOr<std::vector<std::string>> endpoints =
        SplitEndpointList(options_.broker_endpoint);
    if (!endpoints.ok()) {
      JOBQ_LOG(kError, "worker", "connect_failed")
          .Kv("broker", options_.broker_endpoint)
          .Kv("error", endpoints.status().message());
      socket_.reset();
      return false;
    }
    // With several brokers a message must not wait in the pipe of one that
    // is not listening (a standby) while the leader is up.
    several_brokers_ = endpoints->size() > 1;
    socket_->set(zmq::sockopt::immediate, several_brokers_);
    // Before connect(), or the first handshake could go unseen.
    handshakes_.Attach(context_, *socket_);
    for (const std::string& endpoint : *endpoints) {
      socket_->connect(endpoint);
    }
  } catch (const zmq::error_t& e) {
    JOBQ_LOG(kError, "worker", "connect_failed")
        .Kv("broker", options_.broker_endpoint)
        .Kv("error", e.what());
    socket_.reset();
    handshakes_.Detach();
    return false;
  }
  // Silence is measured from the moment there is someone to hear from.
  last_heard_ms_ = now_ms;
  return true;
}

void BrokerConnection::CloseSocket(uint32_t linger_ms) {
  if (!socket_) {
    return;
  }
  socket_->set(zmq::sockopt::linger, static_cast<int>(linger_ms));
  socket_.reset();
  handshakes_.Detach();
}

void BrokerConnection::LoseBroker(int64_t now_ms) {
  const uint32_t delay_ms = backoff_.NextDelayMs();
  if (phase_ == Phase::kRegistered) {
    JOBQ_LOG(kWarning, "worker", "broker_lost")
        .Kv("broker", options_.broker_endpoint)
        .Kv("silent_ms", now_ms - last_heard_ms_)
        .Kv("held", in_flight_.size())
        .Kv("retry_in_ms", delay_ms);
  } else {
    JOBQ_LOG(kWarning, "worker", "broker_unanswered")
        .Kv("broker", options_.broker_endpoint)
        .Kv("waited_ms", now_ms - last_heard_ms_)
        .Kv("attempt", backoff_.attempts())
        .Kv("retry_in_ms", delay_ms);
  }
  // Linger 0: whatever was queued for the old broker is stale. A new
  // socket also drops ZeroMQ's own reconnect state for the old peer.
  CloseSocket(0);
  progress_throttle_.Clear();
  phase_ = Phase::kWaitingToOpen;
  open_at_ms_ = now_ms + delay_ms;
}

void BrokerConnection::CheckHandshakes(int64_t now_ms) {
  const HandshakeClient self{
      "worker", options_.curve ? curve::ToZ85(options_.curve->own.public_key) : std::string(),
      options_.broker_endpoint};
  for (const MonitorEvent& event : handshakes_.Take()) {
    if (event.event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      silent_handshake_failures_ = 0;
      // A HELLO sent before any connection was up went nowhere (IMMEDIATE):
      // the same one again now, not after hello_resend_ms.
      if (several_brokers_ && phase_ == Phase::kHelloSent) {
        SendHello(now_ms, /*new_registration=*/false);
      }
      continue;
    }
    std::optional<std::string> why = DescribeHandshakeFailure(event, self);
    if (!why) {
      continue;
    }
    // A handshake closed without a reason may be a broker restarting at
    // that moment: a few in a row before it counts.
    constexpr int kSilentFailuresMax = 3;
    if (event.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
        ++silent_handshake_failures_ < kSilentFailuresMax) {
      continue;
    }
    silent_handshake_failures_ = 0;
    JOBQ_LOG(kError, "worker", "handshake_refused").Kv("why", *why + "; retrying with backoff");
    // A new socket after a backoff, rather than ZeroMQ's own reconnects
    // every 100 ms: the allow-list will not change that fast.
    LoseBroker(now_ms);
    return;  // the events left were about the socket just closed
  }
}

void BrokerConnection::Send(Command command, const google::protobuf::MessageLite& body) {
  if (!socket_) {
    return;
  }
  if (!SendMessage(*socket_, "", command, body, &scratch_)) {
    JOBQ_LOG(kDebug, "worker", "send_dropped").Kv("command", CommandName(command));
  }
}

void BrokerConnection::Poll(const ClockSleeper& sleeper) {
  // Emptied before the flags and the clock are read, so that a request or a
  // move of the clock after this either shows below or ends the poll. Left
  // full, it would end every poll of a drain at once.
  wake_.Drain();
  std::vector<zmq::pollitem_t> items = {
      {nullptr, wake_.fd(), ZMQ_POLLIN, 0},
      {nullptr, mailbox_.fd(), ZMQ_POLLIN, 0},
  };
  if (socket_) {
    items.push_back({socket_->handle(), 0, ZMQ_POLLIN, 0});
  }
  if (void* monitor = handshakes_.handle()) {
    items.push_back({monitor, 0, ZMQ_POLLIN, 0});
  }
  const bool request_waiting = stop_requested_.load() || (drain_requested_.load() && !draining_);
  const int64_t timeout_ms = sleeper.PollTimeoutMs(request_waiting ? NowMs() : NextTimerMs());
  try {
    zmq::poll(items, std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    // EINTR: a signal arrived; the loop looks at the stop flag next.
    if (e.num() != EINTR) {
      JOBQ_LOG(kWarning, "worker", "poll_failed").Kv("error", e.what());
    }
  }
}

int64_t BrokerConnection::NextTimerMs() const {
  int64_t next_ms = 0;
  switch (phase_) {
    case Phase::kWaitingToOpen:
      next_ms = open_at_ms_;
      break;
    case Phase::kHelloSent:
      next_ms = std::min(last_heard_ms_ + LivenessMs(), hello_sent_ms_ + options_.hello_resend_ms);
      break;
    case Phase::kRegistered:
      next_ms = std::min(
          {last_heard_ms_ + LivenessMs(), next_heartbeat_ms_, progress_throttle_.NextDueMs()});
      break;
  }
  return draining_ ? std::min(next_ms, drain_deadline_ms_) : next_ms;
}

void BrokerConnection::RunTimers(int64_t now_ms) {
  if (phase_ == Phase::kWaitingToOpen) {
    if (now_ms < open_at_ms_) {
      return;
    }
    JOBQ_LOG(kInfo, "worker", "reconnecting")
        .Kv("broker", options_.broker_endpoint)
        .Kv("attempt", backoff_.attempts());
    if (OpenSocket(now_ms)) {
      SendHello(now_ms, /*new_registration=*/true);
    } else {
      open_at_ms_ = now_ms + backoff_.NextDelayMs();
    }
    return;
  }
  if (now_ms - last_heard_ms_ >= LivenessMs()) {
    LoseBroker(now_ms);
    return;
  }
  if (phase_ == Phase::kHelloSent && now_ms - hello_sent_ms_ >= options_.hello_resend_ms) {
    SendHello(now_ms, /*new_registration=*/false);
  }
  if (phase_ == Phase::kRegistered && now_ms >= progress_throttle_.NextDueMs()) {
    for (wire::ProgressReport& report : progress_throttle_.TakeDue(now_ms)) {
      *unsent_progress_.add_reports() = std::move(report);
    }
    FlushProgress();
  }
  if (phase_ == Phase::kRegistered && now_ms >= next_heartbeat_ms_) {
    SendHeartbeat();
    next_heartbeat_ms_ = now_ms + heartbeat_interval_ms_;
    // The slots of jobs refused since the last heartbeat: the pool has had
    // an interval to drain. The next FlushResults credits them.
    for (auto& [kind, refused] : refused_slots_) {
      freed_total_[kind] += refused;
      refused = 0;
    }
  }
}

void BrokerConnection::ReceiveAll(int64_t now_ms) {
  ReceivedMessage message;
  try {
    for (int handled = 0; handled < kMaxMessagesPerIteration && socket_ &&
                          ReceiveMessage(*socket_, Channel::kBrokerToWorker, false, &message);
         ++handled) {
      HandleMessage(message, now_ms);
    }
  } catch (const zmq::error_t& e) {
    JOBQ_LOG(kWarning, "worker", "receive_failed").Kv("error", e.what());
    LoseBroker(now_ms);
  }
}

void BrokerConnection::HandleMessage(const ReceivedMessage& message, int64_t now_ms) {
  if (message.decoded.error != FrameError::kNone) {
    JOBQ_LOG(kWarning, "worker", "bad_message").Kv("error", message.decoded.ErrorText());
    return;
  }
  // Only a well-formed message other than ERROR proves the broker knows
  // us: a restarted broker may answer an unknown worker with ERROR, and
  // counting that as life would keep the worker from registering again.
  bool sign_of_life = false;
  switch (message.decoded.command) {
    case Command::kWelcome: {
      wire::Welcome welcome;
      if ((sign_of_life = ParseBody(message, &welcome))) {
        HandleWelcome(welcome, now_ms);
      }
      break;
    }
    case Command::kDispatch: {
      wire::Dispatch dispatch;
      if ((sign_of_life = ParseBody(message, &dispatch))) {
        if (!AcceptDispatch(dispatch, now_ms)) {
          break;
        }
        for (wire::DispatchedJob& job : *dispatch.mutable_jobs()) {
          StartJob(std::move(job));
        }
      }
      break;
    }
    case Command::kWorkerCancel: {
      wire::Cancel cancel;
      if ((sign_of_life = ParseBody(message, &cancel))) {
        for (const std::string& id : cancel.ids()) {
          in_flight_.Cancel(id);
        }
      }
      break;
    }
    case Command::kWorkerSentinel: {
      wire::Sentinel sentinel;
      if ((sign_of_life = ParseBody(message, &sentinel))) {
        HandleSentinel(sentinel);
      }
      break;
    }
    case Command::kBrokerHeartbeat: {
      wire::Heartbeat heartbeat;
      sign_of_life = ParseBody(message, &heartbeat);
      break;
    }
    case Command::kReconnect: {
      sign_of_life = true;
      if (phase_ == Phase::kHelloSent) {
        // The answer to something sent before the HELLO now on its way (a
        // broker that restarted answers each with RECONNECT): that HELLO
        // registers the worker, and a new one for every RECONNECT would
        // only take back what the last one was given.
        break;
      }
      RegisterAgain("reconnect_requested", now_ms);
      break;
    }
    case Command::kError: {
      wire::Error error;
      if (ParseBody(message, &error)) {
        JOBQ_LOG(kWarning, "worker", "broker_error")
            .Kv("code", wire::ErrorCode_Name(error.code()))
            .Kv("text", error.text());
      }
      break;
    }
    default:
      // DecodeFrames admits only broker-to-worker commands; a new one added
      // there without a case here is dropped rather than misread.
      JOBQ_LOG(kWarning, "worker", "unhandled_command")
          .Kv("command", CommandName(message.decoded.command));
      break;
  }
  if (sign_of_life) {
    last_heard_ms_ = now_ms;
  }
}

void BrokerConnection::HandleWelcome(const wire::Welcome& welcome, int64_t now_ms) {
  if (welcome.heartbeat_interval_ms() > 0) {
    // Capped as the broker's own flags are: timers add it to the clock.
    heartbeat_interval_ms_ = std::clamp(welcome.heartbeat_interval_ms(), kMinHeartbeatIntervalMs,
                                        kHeartbeatIntervalMsMax);
  }
  if (welcome.liveness_misses() > 0) {
    liveness_misses_ = std::min(welcome.liveness_misses(), kLivenessMissesMax);
  }
  if (welcome.registration() != registration_) {
    return;  // the answer to a HELLO this worker has since replaced
  }
  if (phase_ == Phase::kRegistered) {
    // A second WELCOME answers a resent HELLO; the registration stands,
    // unless another broker process took a copy of that HELLO.
    if (welcome.broker() != broker_) {
      RegisterAgain("welcome_from_another_broker", now_ms);
    }
    return;
  }
  if (welcome.result_bytes_max() > 0) {
    result_bytes_max_ = welcome.result_bytes_max();
  }
  broker_ = welcome.broker();
  phase_ = Phase::kRegistered;
  backoff_.Reset();
  next_heartbeat_ms_ = now_ms + heartbeat_interval_ms_;
  JOBQ_LOG(kInfo, "worker", "registered")
      .Kv("broker", options_.broker_endpoint)
      .Kv("name", options_.identity.name)
      .Kv("registration", registration_)
      .Kv("heartbeat_ms", heartbeat_interval_ms_)
      .Kv("held", in_flight_.size())
      .Kv("unsent_results", unsent_.size());
}

bool BrokerConnection::AcceptDispatch(const wire::Dispatch& dispatch, int64_t now_ms) {
  if (phase_ == Phase::kRegistered && dispatch.registration() == registration_ &&
      dispatch.broker() == broker_) {
    return true;
  }
  // Leased under a registration this worker has since replaced (its HELLO
  // listed what the worker held, and the broker took the rest back), or
  // before the WELCOME that says which broker process registered it.
  // Running them could run them twice and overfill the pools.
  JOBQ_LOG(kInfo, "worker", "stale_dispatch_dropped")
      .Kv("jobs", dispatch.jobs_size())
      .Kv("registration", dispatch.registration())
      .Kv("current", registration_);
  if (phase_ == Phase::kRegistered && dispatch.registration() == registration_) {
    // Another broker process (a restarted one) registered an old copy of
    // this worker's HELLO and leases jobs under it: register anew.
    RegisterAgain("dispatch_from_another_broker", now_ms);
  }
  return false;
}

void BrokerConnection::RegisterAgain(const char* why, int64_t now_ms) {
  JOBQ_LOG(kInfo, "worker", why).Kv("broker", options_.broker_endpoint);
  SendHello(now_ms, /*new_registration=*/true);
}

void BrokerConnection::HandleSentinel(const wire::Sentinel& sentinel) {
  if (queues_.erase(sentinel.queue()) == 0) {
    JOBQ_LOG(kWarning, "worker", "sentinel_for_unserved_queue").Kv("queue", sentinel.queue());
    return;
  }
  JOBQ_LOG(kInfo, "worker", "sentinel")
      .Kv("queue", sentinel.queue())
      .Kv("queues_left", queues_.size())
      .Kv("in_flight", in_flight_.size());
}

JobPool* BrokerConnection::PoolFor(const wire::DispatchedJob& job) const {
  std::optional<TaskKind> kind = FromWireKind(job.kind());
  if (!kind.has_value()) {
    if (const TaskDefinition* definition = registry_.Find(job.task())) {
      kind = definition->kind;
    }
  }
  if (kind.has_value()) {
    for (JobPool* pool : pools_) {
      if (pool->kind() == *kind) {
        return pool;
      }
    }
  }
  return pools_.front();
}

void BrokerConnection::StartJob(wire::DispatchedJob job) {
  JobPool* pool = PoolFor(job);
  InFlightJobs::Key key{job.id(), job.attempt()};
  auto cancel = std::make_shared<CancellationToken>();
  if (!in_flight_.Add(key, pool->kind(), cancel)) {
    JOBQ_LOG(kWarning, "worker", "duplicate_dispatch")
        .Kv("job", JobIdText(key.id))
        .Kv("attempt", key.attempt);
    return;
  }
  ResultMailbox* mailbox = &mailbox_;
  if (pool->Submit(std::move(job), cancel,
                   [mailbox](wire::JobResult result) { mailbox->Post(std::move(result)); })) {
    return;
  }
  // Only threads held by tasks past their timeout (or a broker that sends
  // more jobs than it has credits) get here. The broker puts the job back
  // at the front of its queue without spending an attempt. Its slot is
  // credited back only at the next heartbeat, so a pool that stays full
  // refuses at most one job per slot per heartbeat interval.
  in_flight_.Finish(key);
  const TaskKind refused_pool = pool->kind();
  ++refused_slots_[refused_pool];
  ++counters_.refused;
  JOBQ_LOG(kWarning, "worker", "pool_full")
      .Kv("pool", TaskKindName(pool->kind()))
      .Kv("job", JobIdText(key.id));
  wire::JobResult refused;
  refused.set_id(key.id);
  refused.set_attempt(key.attempt);
  refused.set_ok(false);
  refused.mutable_error()->set_type(kErrorWorkerOverloaded);
  refused.mutable_error()->set_message(
      std::string("the worker's ") + TaskKindName(pool->kind()) +
      " pool is full: the broker sent more jobs than the worker had credited");
  unsent_.push_back({std::move(refused), refused_pool});
}

void BrokerConnection::SendHello(int64_t now_ms, bool new_registration) {
  if (new_registration) {
    ++registration_;
    // The finished jobs HELLO lists occupy slots in the broker's count until
    // their RESULT; the first CREDIT gives them back.
    freed_total_.clear();
    credited_.clear();
    refused_slots_.clear();  // not listed in the HELLO: free in the new registration
    for (const UnsentResult& finished : unsent_) {
      ++freed_total_[finished.pool];
    }
  }
  wire::Hello hello =
      BuildHello(options_.identity, pools_, queues_, registry_, in_flight_, unsent_);
  hello.set_instance(instance_);
  hello.set_registration(registration_);
  Send(Command::kHello, hello);
  phase_ = Phase::kHelloSent;
  hello_sent_ms_ = now_ms;
}

void BrokerConnection::SendHeartbeat() {
  // On the real clock whatever the timers run on: the CPU time it is set
  // against is real, and the figure only informs.
  wire::Heartbeat heartbeat =
      BuildHeartbeat(pools_, in_flight_, counters_, stats_.Take(std::chrono::steady_clock::now()));
  heartbeat.set_draining(draining_);
  Send(Command::kWorkerHeartbeat, heartbeat);
}

void BrokerConnection::CollectResults() {
  const int64_t now_ms = NowMs();
  std::vector<wire::ProgressReport> reports;
  std::vector<wire::JobResult> results = mailbox_.TakeAll(&reports);
  for (wire::ProgressReport& report : reports) {
    // Reports are not kept for a broker to come: the next one will do.
    if (phase_ == Phase::kRegistered && in_flight_.PoolOf({report.id(), report.attempt()}) &&
        progress_throttle_.Offer(report, now_ms)) {
      *unsent_progress_.add_reports() = std::move(report);
    }
  }
  for (wire::JobResult& result : results) {
    // Its last report goes out before it, so the broker still takes it.
    if (std::optional<wire::ProgressReport> held =
            progress_throttle_.Finish(result.id(), result.attempt());
        held.has_value() && phase_ == Phase::kRegistered) {
      *unsent_progress_.add_reports() = std::move(*held);
    }
    std::optional<TaskKind> pool = in_flight_.Finish({result.id(), result.attempt()});
    if (!pool) {
      continue;  // not ours any more (a duplicate completion)
    }
    ++freed_total_[*pool];
    if (result.ok() && result.result().size() > result_bytes_max_) {
      FailAsTooLarge(result);
    }
    ++(result.ok() ? counters_.done : counters_.failed);
    unsent_.push_back({std::move(result), *pool});
  }
}

void BrokerConnection::FailAsTooLarge(wire::JobResult& result) const {
  const size_t bytes = result.result().size();
  result.set_ok(false);
  result.clear_result();
  result.clear_content_type();
  result.mutable_error()->set_type("result_too_large");
  result.mutable_error()->set_message("the result is " + std::to_string(bytes) +
                                      " bytes; the broker keeps at most " +
                                      std::to_string(result_bytes_max_) +
                                      " (its --result-max): return less, or store it "
                                      "elsewhere and return where");
}

void BrokerConnection::FlushProgress() {
  if (phase_ != Phase::kRegistered) {
    unsent_progress_.Clear();
    return;
  }
  // Bounded like the broker's limit, though a worker never holds that many.
  while (unsent_progress_.reports_size() > 0) {
    if (unsent_progress_.reports_size() <= kProgressReportsMax) {
      Send(Command::kProgress, unsent_progress_);
      unsent_progress_.Clear();
      break;
    }
    wire::Progress part;
    for (int i = 0; i < kProgressReportsMax; ++i) {
      *part.add_reports() = std::move(*unsent_progress_.mutable_reports(i));
    }
    unsent_progress_.mutable_reports()->DeleteSubrange(0, kProgressReportsMax);
    Send(Command::kProgress, part);
  }
}

void BrokerConnection::FlushResults() {
  FlushProgress();
  if (phase_ != Phase::kRegistered) {
    return;
  }
  // Cut by count and by bytes, so that no RESULT comes near the broker's
  // message limit (past it the broker drops the connection, results and all).
  wire::WorkerResults batch;
  size_t batch_bytes = 0;
  for (UnsentResult& unsent : unsent_) {
    const size_t bytes = unsent.result.ByteSizeLong();
    if (batch.results_size() > 0 &&
        (static_cast<size_t>(batch.results_size()) >= options_.max_results_per_message ||
         batch_bytes + bytes > options_.max_result_message_bytes)) {
      Send(Command::kWorkerResult, batch);
      batch.Clear();
      batch_bytes = 0;
    }
    *batch.add_results() = std::move(unsent.result);
    batch_bytes += bytes;
  }
  if (batch.results_size() > 0) {
    Send(Command::kWorkerResult, batch);
  }
  unsent_.clear();
  // With no queue left the worker takes no more jobs, so it offers no slots.
  if (queues_.empty()) {
    return;
  }
  for (const auto& [kind, freed] : freed_total_) {
    uint64_t& credited = credited_[kind];
    if (freed == credited) {
      continue;
    }
    wire::Credit credit;
    credit.set_kind(ToWireKind(kind));
    credit.set_freed_total(freed);
    credit.set_registration(registration_);
    Send(Command::kCredit, credit);
    credited = freed;
  }
}

ConnectionExit BrokerConnection::Finish(ConnectionExit exit) {
  if (exit == ConnectionExit::kStopRequested) {
    // BYE hands the held jobs back to the broker; cancelling lets
    // cooperative tasks end now rather than run for nobody.
    in_flight_.CancelAll();
  }
  if (socket_) {
    if (!SendRaw(*socket_, "", Command::kBye, "")) {
      JOBQ_LOG(kDebug, "worker", "send_dropped").Kv("command", "BYE");
    }
    CloseSocket(options_.bye_linger_ms);
  }
  JOBQ_LOG(kInfo, "worker", exit == ConnectionExit::kQueuesDone ? "drained" : "stopping")
      .Kv("name", options_.identity.name)
      .Kv("jobs_done", counters_.done)
      .Kv("jobs_failed", counters_.failed)
      .Kv("cancelled", in_flight_.size());
  return exit;
}

}  // namespace jobq::worker
