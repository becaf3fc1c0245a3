#include "broker/net/broker_loop.h"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <utility>
#include <vector>

#include "broker/net/latency_timer.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/transport/zmq_messages.h"

namespace jobq::broker::net {
namespace {

// The loop wakes at least this often to notice RequestStop().
constexpr TimeMs kMaxPollMs = 100;

wire::ErrorCode CodeFor(FrameError error) {
  switch (error) {
    case FrameError::kBadSignature:
      return wire::ERROR_CODE_BAD_VERSION;
    case FrameError::kBadCommand:
      return wire::ERROR_CODE_BAD_COMMAND;
    default:
      return wire::ERROR_CODE_BAD_BODY;
  }
}

}  // namespace

BrokerLoop::BrokerLoop(const LoopOptions& options, core::BrokerCore* core, store::Store* store,
                       const Clock* clock, SnapshotSink snapshot_sink)
    : options_(options),
      core_(core),
      store_(store),
      clock_(clock),
      snapshot_sink_(std::move(snapshot_sink)),
      context_(1),
      frontend_(context_, zmq::socket_type::router),
      backend_(context_, zmq::socket_type::router),
      frontend_watch_(context_, "frontend", options.connections_max),
      backend_watch_(context_, "backend", options.connections_max),
      wake_(WakeFd::CreateOrDie()) {
  CommitPipeline::StartBatchFn start_batch;
  if (store_->durable()) {
    // The writer's thread starts with Run(), before the first batch.
    start_batch = [this](OwnedBatch batch) { writer_->Commit(std::move(batch)); };
  }
  pipeline_ = std::make_unique<CommitPipeline>(
      core_, store_, [this](const core::Outbound& out) { Send(out); }, std::move(start_batch));
}

BrokerLoop::~BrokerLoop() {
  frontend_.set(zmq::sockopt::linger, 0);
  backend_.set(zmq::sockopt::linger, 0);
  CloseTasks();  // Run never ran, or returned: no task is left waiting
}

absl::Status BrokerLoop::Bind() {
  for (zmq::socket_t* socket : {&frontend_, &backend_}) {
    socket->set(zmq::sockopt::maxmsgsize, options_.max_message_bytes);
    socket->set(zmq::sockopt::sndhwm, options_.send_high_water_mark);
    socket->set(zmq::sockopt::rcvhwm, options_.send_high_water_mark);
    socket->set(zmq::sockopt::linger, 0);
  }
  // A connection cut for --connections-max may still be written to by
  // libzmq (socket_watch.h), which sends without MSG_NOSIGNAL: the write
  // must fail with EPIPE, not end the broker.
  std::signal(SIGPIPE, SIG_IGN);
  JOBQ_RETURN_IF_ERROR(frontend_watch_.Watch(frontend_));
  JOBQ_RETURN_IF_ERROR(backend_watch_.Watch(backend_));
  if (options_.curve) {
    // The handler first: a handshake that finds none is let in unchecked.
    zap_ = std::make_unique<ZapHandler>(context_, &*options_.curve);
    JOBQ_RETURN_IF_ERROR(zap_->Bind());
    JOBQ_RETURN_IF_ERROR(MakeCurveServer(frontend_, options_.curve->server, kFrontendZapDomain));
    JOBQ_RETURN_IF_ERROR(MakeCurveServer(backend_, options_.curve->server, kBackendZapDomain));
  }
  try {
    frontend_.bind(options_.frontend_endpoint);
  } catch (const zmq::error_t& error) {
    return absl::UnavailableError("cannot listen for clients on " + options_.frontend_endpoint +
                                  ": " + error.what() +
                                  " (is another broker running? choose --frontend)");
  }
  try {
    backend_.bind(options_.backend_endpoint);
  } catch (const zmq::error_t& error) {
    return absl::UnavailableError("cannot listen for workers on " + options_.backend_endpoint +
                                  ": " + error.what() +
                                  " (is another broker running? choose --backend)");
  }
  frontend_bound_ = frontend_.get(zmq::sockopt::last_endpoint);
  backend_bound_ = backend_.get(zmq::sockopt::last_endpoint);
  return absl::OkStatus();
}

absl::Status BrokerLoop::Run() {
  if (store_->durable()) {
    writer_ = std::make_unique<StoreWriter>(store_, &context_);
  }
  std::vector<zmq::pollitem_t> items;
  // The index of `socket` in `items`.
  auto poll = [&items](zmq::socket_t& socket) {
    items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
    return items.size() - 1;
  };
  const size_t frontend_item = poll(frontend_);
  const size_t backend_item = poll(backend_);
  constexpr size_t kNotPolled = SIZE_MAX;
  const size_t writer_item = writer_ ? poll(writer_->done_socket()) : kNotPolled;
  const size_t zap_item = zap_ ? poll(zap_->socket()) : kNotPolled;
  const size_t frontend_events_item = poll(frontend_watch_.events());
  const size_t backend_events_item = poll(backend_watch_.events());
  items.push_back({nullptr, wake_.fd(), ZMQ_POLLIN, 0});
  const size_t wake_item = items.size() - 1;
  // Failed handshakes are the ZAP handler's to count, with CURVE on.
  auto handshake_failed = [this](ZapSocket socket) -> SocketWatch::HandshakeFailed {
    if (!zap_) {
      return nullptr;
    }
    return [this, socket](uint16_t event, uint32_t value, std::string_view endpoint) {
      zap_->CountHandshakeFailure(socket, event, value, endpoint, clock_->NowMs());
    };
  };
  const SocketWatch::HandshakeFailed frontend_failed = handshake_failed(ZapSocket::kFrontend);
  const SocketWatch::HandshakeFailed backend_failed = handshake_failed(ZapSocket::kBackend);
  auto readable = [&items](size_t item) {
    return item != kNotPolled && (items[item].revents & ZMQ_POLLIN) != 0;
  };
  TimeMs deadline_ms = core_->Tick(clock_->NowMs(), &effects_);
  TakeEffects();
  while (!stop_requested_.load(std::memory_order_relaxed)) {
    TimeMs now_ms = clock_->NowMs();
    TimeMs wait_ms = std::clamp<TimeMs>(deadline_ms - now_ms, 0, kMaxPollMs);
    try {
      zmq::poll(items, std::chrono::milliseconds(wait_ms));
    } catch (const zmq::error_t& error) {
      if (error.num() == EINTR) {
        continue;  // a signal; the stop flag says what to do
      }
      return absl::InternalError(std::string("poll failed: ") + error.what());
    }
    ScopedLatencyTimer iteration_timer(&iteration_latency_);  // the rest of this iteration
    if (readable(zap_item)) {
      // Handshakes first: each waits on this answer, and answering is cheap.
      zap_->Serve(clock_->NowMs(), options_.messages_per_iteration);
    }
    if (readable(frontend_events_item)) {
      frontend_watch_.Serve(clock_->NowMs(), options_.messages_per_iteration, frontend_failed);
    }
    if (readable(backend_events_item)) {
      backend_watch_.Serve(clock_->NowMs(), options_.messages_per_iteration, backend_failed);
    }
    if (readable(writer_item)) {
      if (std::optional<absl::Status> done = writer_->TakeDone()) {
        if (absl::Status committed = pipeline_->OnBatchCommitted(*done); !committed.ok()) {
          fatal_ = committed;
          break;
        }
      }
    }
    now_ms = clock_->NowMs();
    if (readable(frontend_item)) {
      ReadSocket(frontend_, /*frontend=*/true, now_ms);
    }
    if (readable(backend_item)) {
      ReadSocket(backend_, /*frontend=*/false, now_ms);
    }
    if (readable(wake_item)) {
      wake_.Drain();
      RunTasks(now_ms);  // before the Tick: a shutdown adds sentinels
    }
    deadline_ms = core_->Tick(now_ms, &effects_);
    TakeEffects();
    if (!fatal_.ok()) {
      break;
    }
    if (stop_when_drained_ && core_->worker_count() == 0) {
      JOBQ_LOG(kInfo, "broker", "drained");
      RequestStop();
    }
    if (now_ms >= next_snapshot_ms_) {
      PublishSnapshot(now_ms);
      next_snapshot_ms_ = now_ms + options_.snapshot_interval_ms;
    }
  }
  CloseTasks();
  absl::Status stopped = fatal_;
  if (stepping_down_.load()) {
    std::lock_guard lock(step_down_mutex_);
    stopped = step_down_why_;
  } else if (stopped.ok()) {
    if (!store_->Health().reachable) {
      // A stop must not wait for a database that is away: what waits for
      // it fails, and clients re-send it to the broker that serves next.
      store_->Cancel();
    }
    // Acknowledgements that wait for a commit still go out before we exit.
    stopped = Flush();
  }
  if (!stopped.ok()) {
    // The commit in flight, if it waits for the database, gives up, so the
    // writer thread can end.
    store_->Cancel();
  }
  pipeline_->FailPending(stopped.ok() ? absl::UnavailableError("the broker stopped") : stopped);
  return stopped;
}

void BrokerLoop::RequestStop() {
  stop_requested_.store(true, std::memory_order_relaxed);
  wake_.Notify();
}

void BrokerLoop::StepDown(absl::Status why) {
  {
    std::lock_guard lock(step_down_mutex_);
    step_down_why_ = std::move(why);
  }
  stepping_down_.store(true);
  RequestStop();
}

void BrokerLoop::Post(LoopTask task) {
  {
    std::lock_guard lock(tasks_mutex_);
    if (!tasks_closed_) {
      tasks_.push_back(std::move(task));
      wake_.Notify();
      return;
    }
  }
  task(nullptr);
}

void BrokerLoop::RunTasks(TimeMs now_ms) {
  std::vector<LoopTask> tasks;
  {
    std::lock_guard lock(tasks_mutex_);
    tasks.swap(tasks_);
  }
  task_now_ms_ = now_ms;
  for (LoopTask& task : tasks) {
    task(this);
  }
}

void BrokerLoop::CloseTasks() {
  std::vector<LoopTask> tasks;
  {
    std::lock_guard lock(tasks_mutex_);
    tasks_closed_ = true;
    tasks.swap(tasks_);
  }
  for (LoopTask& task : tasks) {
    task(nullptr);
  }
}

void BrokerLoop::TakeEffects() {
  if (!fatal_.ok()) {
    return;
  }
  if (absl::Status taken = pipeline_->Take(&effects_); !taken.ok()) {
    fatal_ = taken;
    RequestStop();
  }
}

void BrokerLoop::AfterCommit(CommitReply reply) {
  // The reply depends on what the task changed: taken first.
  TakeEffects();
  if (!fatal_.ok()) {
    reply(fatal_);
    return;
  }
  pipeline_->AfterCommit(std::move(reply));
}

absl::Status BrokerLoop::Flush() {
  TakeEffects();
  while (fatal_.ok() && pipeline_->batch_in_flight()) {
    if (absl::Status committed = pipeline_->OnBatchCommitted(writer_->WaitIdle());
        !committed.ok()) {
      fatal_ = committed;
    }
  }
  return fatal_;
}

void BrokerLoop::ReadSocket(zmq::socket_t& socket, bool frontend, TimeMs now_ms) {
  const Channel channel = frontend ? Channel::kClientToBroker : Channel::kWorkerToBroker;
  const core::Socket side = frontend ? core::Socket::kFrontend : core::Socket::kBackend;
  ReceivedMessage message;
  for (int i = 0; i < options_.messages_per_iteration; ++i) {
    if (!ReceiveMessage(socket, channel, /*has_routing_id=*/true, &message)) {
      return;
    }
    const DecodedFrames& decoded = message.decoded;
    const std::string routing_id(decoded.routing_id);
    if (decoded.error != FrameError::kNone) {
      JOBQ_LOG(kDebug, "broker", "malformed_message")
          .Kv("socket", frontend ? "frontend" : "backend")
          .Kv("why", decoded.ErrorText());
      core_->OnMalformed(side, routing_id, CodeFor(decoded.error), decoded.ErrorText(), &effects_);
      continue;
    }
    if (frontend) {
      core_->OnClientMessage(routing_id, decoded.command, decoded.body, now_ms, &effects_);
    } else {
      core_->OnWorkerMessage(routing_id, decoded.command, decoded.body, now_ms, &effects_);
    }
  }
}

void BrokerLoop::Send(const core::Outbound& out) {
  zmq::socket_t& socket = out.socket == core::Socket::kFrontend ? frontend_ : backend_;
  // A peer that has gone is no loss: clients re-send WAIT and unacknowledged
  // jobs, workers that come back say HELLO and are told their state.
  SendMessage(socket, out.routing_id, out.command, *out.body, &send_scratch_);
}

void BrokerLoop::FillStatus(::jobq::admin::GetStatusResponse* status) const {
  FillStatus(task_now_ms_, status);
}

void BrokerLoop::FillStatus(TimeMs now_ms, ::jobq::admin::GetStatusResponse* status) const {
  core_->FillStatus(now_ms, status);
  status->set_store(store_->Describe());
  status->set_durable(store_->durable());
  const store::StoreHealth store_health = store_->Health();
  ::jobq::admin::StoreHealth* health = status->mutable_store_health();
  health->set_reachable(store_health.reachable);
  if (!store_health.reachable) {
    health->set_last_error(store_health.last_error);
    health->set_unreachable_ms(
        std::max<int64_t>(0, WallNowMs() - store_health.unreachable_since_unix_ms));
    health->set_retries(static_cast<uint32_t>(store_health.retries));
  }
  if (options_.stamp_status) {
    options_.stamp_status(status);
  }
  if (zap_) {
    status->mutable_counters()->set_auth_refused_frontend(zap_->refused(ZapSocket::kFrontend));
    status->mutable_counters()->set_auth_refused_backend(zap_->refused(ZapSocket::kBackend));
  }
  iteration_latency_.Fill(status->mutable_figures()->mutable_loop_iteration());
  (writer_ ? writer_->CommitLatency() : pipeline_->inline_commit_latency())
      .Fill(status->mutable_figures()->mutable_store_commit());
}

void BrokerLoop::PublishSnapshot(TimeMs now_ms) {
  if (!snapshot_sink_) {
    return;
  }
  auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
  FillStatus(now_ms, status.get());
  snapshot_sink_(std::move(status));
}

}  // namespace jobq::broker::net
