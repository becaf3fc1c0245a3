#include "broker/net/broker_loop.h"

#include <algorithm>
#include <iterator>
#include <zmq_addon.hpp>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/transport/zmq_messages.h"

namespace jobq::broker::net {
namespace {

// The loop wakes at least this often to notice RequestStop().
constexpr TimeMs kMaxPollMs = 100;

wire::ErrorCode CodeFor(FrameError error) {
  switch (error) {
    case FrameError::kBadSignature: return wire::ERROR_CODE_BAD_VERSION;
    case FrameError::kBadCommand: return wire::ERROR_CODE_BAD_COMMAND;
    default: return wire::ERROR_CODE_BAD_BODY;
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
      mailbox_(context_, zmq::socket_type::router),
      mailbox_endpoint_("inproc://jobq-admin-mailbox") {}

BrokerLoop::~BrokerLoop() {
  frontend_.set(zmq::sockopt::linger, 0);
  backend_.set(zmq::sockopt::linger, 0);
  mailbox_.set(zmq::sockopt::linger, 0);
}

absl::Status BrokerLoop::Bind() {
  for (zmq::socket_t* socket : {&frontend_, &backend_}) {
    socket->set(zmq::sockopt::maxmsgsize, options_.max_message_bytes);
    socket->set(zmq::sockopt::sndhwm, options_.send_high_water_mark);
    socket->set(zmq::sockopt::rcvhwm, options_.send_high_water_mark);
    socket->set(zmq::sockopt::linger, 0);
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
  mailbox_.set(zmq::sockopt::linger, 0);
  mailbox_.bind(mailbox_endpoint_);
  frontend_bound_ = frontend_.get(zmq::sockopt::last_endpoint);
  backend_bound_ = backend_.get(zmq::sockopt::last_endpoint);
  return absl::OkStatus();
}

absl::Status BrokerLoop::Run() {
  zmq::pollitem_t items[] = {
      {frontend_.handle(), 0, ZMQ_POLLIN, 0},
      {backend_.handle(), 0, ZMQ_POLLIN, 0},
      {mailbox_.handle(), 0, ZMQ_POLLIN, 0},
  };
  TimeMs deadline_ms = core_->Tick(clock_->NowMs(), &effects_);
  JOBQ_RETURN_IF_ERROR(CommitAndSend());
  while (!stop_requested_.load(std::memory_order_relaxed)) {
    TimeMs now_ms = clock_->NowMs();
    TimeMs wait_ms = std::clamp<TimeMs>(deadline_ms - now_ms, 0, kMaxPollMs);
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(wait_ms));
    } catch (const zmq::error_t& error) {
      if (error.num() == EINTR) continue;  // a signal; the stop flag says what to do
      return absl::InternalError(std::string("poll failed: ") + error.what());
    }
    now_ms = clock_->NowMs();
    if (items[0].revents & ZMQ_POLLIN) ReadSocket(frontend_, /*frontend=*/true, now_ms);
    if (items[1].revents & ZMQ_POLLIN) ReadSocket(backend_, /*frontend=*/false, now_ms);
    deadline_ms = core_->Tick(now_ms, &effects_);
    JOBQ_RETURN_IF_ERROR(CommitAndSend());
    // After the commit: an answer reflects what this iteration made durable.
    if (items[2].revents & ZMQ_POLLIN) {
      ServeMailbox(now_ms);
      deadline_ms = core_->Tick(now_ms, &effects_);  // a shutdown adds sentinels
      JOBQ_RETURN_IF_ERROR(CommitAndSend());
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
  return absl::OkStatus();
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
      core_->OnMalformed(side, routing_id, CodeFor(decoded.error), decoded.ErrorText(),
                         &effects_);
      continue;
    }
    if (frontend) {
      core_->OnClientMessage(routing_id, decoded.command, decoded.body, now_ms, &effects_);
    } else {
      core_->OnWorkerMessage(routing_id, decoded.command, decoded.body, now_ms, &effects_);
    }
  }
}

absl::Status BrokerLoop::CommitAndSend() {
  if (effects_.empty()) {
    return absl::OkStatus();
  }
  if (!effects_.changed_jobs.empty() || !effects_.erased_jobs.empty()) {
    // A job changed several times in one iteration is written once, in its
    // latest state. Sorting the ids dedups them without a hash set per pass.
    std::vector<JobId>& changed = effects_.changed_jobs;
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    changed_scratch_.clear();
    for (const JobId& id : changed) {
      if (const core::Job* job = core_->FindJob(id)) {
        changed_scratch_.push_back(job);
      }
    }
    absl::Status committed = store_->Commit(changed_scratch_, effects_.erased_jobs);
    if (!committed.ok()) {
      // Nothing of this iteration may be acknowledged: stop, and let the
      // restart recover from what the store holds.
      effects_.Clear();
      return absl::InternalError("store commit failed: " + std::string(committed.message()));
    }
  }
  for (const core::Outbound& out : effects_.outbound) {
    zmq::socket_t& socket = out.socket == core::Socket::kFrontend ? frontend_ : backend_;
    // A peer that has gone is no loss: clients re-send WAIT, workers that
    // come back say HELLO and are told their state.
    SendMessage(socket, out.routing_id, out.command, *out.body, &send_scratch_);
  }
  effects_.Clear();
  return absl::OkStatus();
}

void BrokerLoop::FillStatus(TimeMs now_ms, ::jobq::admin::GetStatusResponse* status) const {
  core_->FillStatus(now_ms, status);
  status->set_store(store_->Describe());
  status->set_durable(store_->durable());
}

void BrokerLoop::PublishSnapshot(TimeMs now_ms) {
  if (!snapshot_sink_) return;
  auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
  FillStatus(now_ms, status.get());
  snapshot_sink_(std::move(status));
}

// Mailbox requests are [routing id] [verb], answered with [routing id]
// [reply]: "status" -> a serialized GetStatusResponse; "shutdown-drain" and
// "shutdown-now" -> the number of workers left to drain, in decimal. The
// requesters are this process's own threads, so nothing here is hostile.
void BrokerLoop::ServeMailbox(TimeMs now_ms) {
  for (int i = 0; i < options_.messages_per_iteration; ++i) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(mailbox_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return;
    }
    if (frames.size() != 2) continue;
    const std::string verb = frames[1].to_string();
    std::string reply;
    if (verb == "status") {
      ::jobq::admin::GetStatusResponse status;
      FillStatus(now_ms, &status);
      reply = status.SerializeAsString();
    } else if (verb == "shutdown-drain") {
      JOBQ_LOG(kInfo, "broker", "shutdown_requested").Kv("mode", "drain");
      core_->BeginShutdown();
      stop_when_drained_ = true;
      reply = std::to_string(core_->worker_count());
    } else if (verb == "shutdown-now") {
      JOBQ_LOG(kInfo, "broker", "shutdown_requested").Kv("mode", "now");
      RequestStop();
      reply = "0";
    }
    mailbox_.send(frames[0], zmq::send_flags::sndmore);
    mailbox_.send(zmq::buffer(reply), zmq::send_flags::none);
  }
}

std::optional<std::string> BrokerLoop::AskLoop(std::string_view request, TimeMs timeout_ms) {
  try {
    // One socket per call: sockets are not thread-safe, and admin calls are
    // rare enough that creating one costs nothing that matters.
    zmq::socket_t requester(context_, zmq::socket_type::dealer);
    requester.set(zmq::sockopt::linger, 0);
    requester.connect(mailbox_endpoint_);
    requester.send(zmq::buffer(request), zmq::send_flags::none);
    zmq::pollitem_t item{requester.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) {
      return std::nullopt;
    }
    zmq::message_t reply;
    if (!requester.recv(reply, zmq::recv_flags::dontwait)) return std::nullopt;
    return reply.to_string();
  } catch (const zmq::error_t&) {
    return std::nullopt;  // the context is shutting down
  }
}

std::shared_ptr<const ::jobq::admin::GetStatusResponse> BrokerLoop::FetchStatus(
    TimeMs timeout_ms) {
  std::optional<std::string> reply = AskLoop("status", timeout_ms);
  if (!reply) return nullptr;
  auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
  if (!status->ParseFromString(*reply)) return nullptr;
  return status;
}

absl::StatusOr<uint32_t> BrokerLoop::Shutdown(bool drain, TimeMs timeout_ms) {
  std::optional<std::string> reply = AskLoop(drain ? "shutdown-drain" : "shutdown-now", timeout_ms);
  if (!reply) {
    return absl::UnavailableError("the broker's loop did not answer; stop it with SIGTERM");
  }
  return static_cast<uint32_t>(std::stoul(*reply));
}

}  // namespace jobq::broker::net
