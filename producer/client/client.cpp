#include "producer/client/client.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <random>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "common/curve_keys.h"
#include "common/endpoint_list.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "common/wake_fd.h"
#include "producer/client/internal/io_loop.h"
#include "producer/client/internal/shared_state.h"

namespace jobq {
namespace {

using client_internal::FutureAccess;
using client_internal::FutureState;
using client_internal::OutItem;
using client_internal::ReadyFutures;

// inproc names are per context, and each Client has its own context.
constexpr char kMonitorEndpoint[] = "inproc://jobq-client-monitor";
// With several brokers: a ZMTP PING this often, a connection without its
// PONG for three times as long is closed.
constexpr int kSeveralBrokersHeartbeatMs = 1000;

// Turns the CURVE keys into their raw form, or says which is not a key.
absl::Status NormalizeCurveKeys(ClientOptions* options) {
  std::string* keys[] = {&options->curve_server_key, &options->curve_public_key,
                         &options->curve_secret_key};
  const char* names[] = {"curve_server_key (the broker's public key)", "curve_public_key",
                         "curve_secret_key"};
  const int given = static_cast<int>(!keys[0]->empty()) + !keys[1]->empty() + !keys[2]->empty();
  if (given == 0) {
    return absl::OkStatus();
  }
  if (given != 3) {
    return absl::InvalidArgumentError(
        "CURVE needs the broker's public key and this producer's key pair, all three, or none");
  }
  for (int i = 0; i < 3; ++i) {
    if (keys[i]->size() == curve::kKeyBytes) {
      continue;
    }
    absl::StatusOr<std::string> raw = curve::FromZ85(*keys[i]);
    if (!raw.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(names[i], ": ", raw.status().message()));
    }
    *keys[i] = *std::move(raw);
  }
  return absl::OkStatus();
}

absl::Status SetCurveClient(zmq::socket_t& dealer, const ClientOptions& options) {
  if (options.curve_server_key.empty()) {
    return absl::OkStatus();
  }
  if (zmq_setsockopt(dealer.handle(), ZMQ_CURVE_SERVERKEY, options.curve_server_key.data(),
                     options.curve_server_key.size()) != 0 ||
      zmq_setsockopt(dealer.handle(), ZMQ_CURVE_PUBLICKEY, options.curve_public_key.data(),
                     options.curve_public_key.size()) != 0 ||
      zmq_setsockopt(dealer.handle(), ZMQ_CURVE_SECRETKEY, options.curve_secret_key.data(),
                     options.curve_secret_key.size()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot turn CURVE on: ", zmq_strerror(zmq_errno()),
                     " (is libzmq built with CURVE/libsodium?)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const ClientOptions& options) {
  JOBQ_RETURN_IF_ERROR(SplitEndpointList(options.broker_endpoint).status());
  if (options.connect_timeout_ms <= 0 || options.reconnect_timeout_ms <= 0 ||
      options.wait_resend_interval_ms <= 0) {
    return absl::InvalidArgumentError("client timeouts and intervals must be positive");
  }
  if (options.batch_jobs_max == 0 || options.batch_bytes_max == 0) {
    return absl::InvalidArgumentError("batch limits must be positive");
  }
  if (options.window_jobs_max < options.batch_jobs_max) {
    return absl::InvalidArgumentError(
        "window_jobs_max must be at least batch_jobs_max, or batches could never fill");
  }
  return absl::OkStatus();
}

// Random, so that the submit_tokens of two Clients (two runs of one
// producer, say, whose client_seqs both start at 1) never meet.
absl::StatusOr<std::string> RandomTokenPrefix() {
  try {
    std::random_device device;
    std::string prefix(client_internal::IoLoop::kSubmitTokenPrefixBytes, '\0');
    static_assert(client_internal::IoLoop::kSubmitTokenPrefixBytes % sizeof(uint32_t) == 0);
    for (size_t i = 0; i < prefix.size(); i += sizeof(uint32_t)) {
      const uint32_t bits = device();
      std::memcpy(&prefix[i], &bits, sizeof(bits));
    }
    return prefix;
  } catch (const std::exception& error) {
    return absl::InternalError(
        absl::StrCat("no source of random numbers for submit tokens: ", error.what()));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  JOBQ_RETURN_IF_ERROR(ValidateOptions(options));
  JOBQ_RETURN_IF_ERROR(NormalizeCurveKeys(&options));
  std::unique_ptr<Client> client(new Client(std::move(options)));
  JOBQ_RETURN_IF_ERROR(client->Start());
  return client;
}

Client::Client(ClientOptions options)
    : options_(std::move(options)), context_(std::make_unique<zmq::context_t>(1)) {}

absl::Status Client::Start() {
  JOBQ_ASSIGN_OR_RETURN(WakeFd wake, WakeFd::Create());
  JOBQ_ASSIGN_OR_RETURN(std::string token_prefix, RandomTokenPrefix());
  shared_ = std::make_shared<client_internal::Shared>(std::move(wake));
  try {
    zmq::socket_t dealer(*context_, zmq::socket_type::dealer);
    // Never let close() wait on an absent broker; IoLoop raises it only
    // while connected.
    dealer.set(zmq::sockopt::linger, 0);
    // No receive limit: a broker's ROUTER silently drops what a full peer
    // pipe cannot take, and a dropped SUBMITTED or RESULT would strand
    // futures. What the broker sends is bounded by our own window and wait
    // set, so memory stays bounded anyway.
    dealer.set(zmq::sockopt::rcvhwm, 0);
    // Still, one message has a bound, against a peer posing as the broker:
    // a real one sends results of at most its --result-max each.
    dealer.set(zmq::sockopt::maxmsgsize, int64_t{1} << 30);
    // Queue nothing while no connection is up, and drop what a lost one
    // still held: the I/O thread re-sends unacknowledged jobs itself, in
    // order, and a SENTINEL replayed on a new connection would be
    // acknowledged after the client failed it as lost, its ack then
    // credited to the next sentinel.
    dealer.set(zmq::sockopt::immediate, true);
    // The monitor must exist before connect(), or the first handshake
    // event would be lost.
    JOBQ_RETURN_IF_ERROR(SetCurveClient(dealer, options_));
    // Failed handshakes too: a refused key must end in a clear error, not
    // in a wait for a broker that will never answer.
    if (zmq_socket_monitor(dealer.handle(), kMonitorEndpoint,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
      return absl::InternalError(
          absl::StrCat("cannot monitor the broker connection: ", zmq_strerror(zmq_errno())));
    }
    zmq::socket_t monitor(*context_, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(kMonitorEndpoint);
    JOBQ_ASSIGN_OR_RETURN(std::vector<std::string> endpoints,
                          SplitEndpointList(options_.broker_endpoint));
    if (endpoints.size() > 1) {
      // A paused or cut-off leader keeps its connection open while its
      // successor accepts one; the messages the DEALER spreads onto it would
      // be lost unnoticed. ZMTP heartbeats close it, and the session re-sends
      // what was unacknowledged (docs/protocol.md, "Several brokers").
      dealer.set(zmq::sockopt::heartbeat_ivl, kSeveralBrokersHeartbeatMs);
      dealer.set(zmq::sockopt::heartbeat_timeout, 3 * kSeveralBrokersHeartbeatMs);
    }
    for (const std::string& endpoint : endpoints) {
      try {
        dealer.connect(endpoint);
      } catch (const zmq::error_t& error) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad broker endpoint '", endpoint, "': ", error.what(),
                         " (expected something like tcp://127.0.0.1:5555)"));
      }
    }
    auto loop = std::make_unique<client_internal::IoLoop>(
        options_, shared_, std::move(dealer), std::move(monitor), std::move(token_prefix));
    io_thread_ = std::thread([loop = std::move(loop)] { loop->Run(); });
  } catch (const zmq::error_t& error) {
    return absl::InternalError(absl::StrCat("cannot set up the client's sockets: ", error.what()));
  }
  return absl::OkStatus();
}

Client::~Client() {
  if (io_thread_.joinable()) {
    {
      std::lock_guard lock(shared_->mutex);
      shared_->stop = true;
      shared_->WakeLoopLocked();
    }
    io_thread_.join();
  }
}

namespace {

// The JobSpec fields that travel as protobuf strings, which must be UTF-8.
const char* NonUtf8Field(const JobSpec& spec) {
  if (!IsValidUtf8(spec.task())) {
    return "task name";
  }
  if (!IsValidUtf8(spec.queue())) {
    return "queue";
  }
  if (!IsValidUtf8(spec.content_type())) {
    return "content type";
  }
  if (!IsValidUtf8(spec.idempotency_key())) {
    return "idempotency key";
  }
  return nullptr;
}

}  // namespace

Future Client::Submit(JobSpec spec, const SubmitOptions& options) {
  auto completions = options.completions == nullptr ? nullptr : options.completions->state_;
  if (completions != nullptr) {
    completions->Expect();
  }
  auto state = std::make_shared<FutureState>(options.notify, options.tag, completions);
  Future future = FutureAccess::Make(shared_, state);
  ReadyFutures ready(shared_);  // declared first: delivers after the lock is released
  std::unique_lock lock(shared_->mutex);
  if (spec.task().empty()) {
    state->failure = absl::InvalidArgumentError("a job needs a task name");
    ready.AddIfDone(state);
    return future;
  }
  if (const char* field = NonUtf8Field(spec); field != nullptr) {
    // Caught here, per job: the broker could not decode the SUBMIT carrying
    // it and would refuse the whole batch.
    state->failure =
        absl::InvalidArgumentError(std::string("the job's ") + field + " is not valid UTF-8 text");
    ready.AddIfDone(state);
    return future;
  }
  shared_->changed.wait(lock, [&] {
    return !shared_->failure.ok() || shared_->stop ||
           shared_->window_used < options_.window_jobs_max;
  });
  if (!shared_->failure.ok() || shared_->stop) {
    state->failure =
        shared_->failure.ok() ? absl::CancelledError("the client is closing") : shared_->failure;
    ready.AddIfDone(state);
    return future;
  }
  ++shared_->window_used;
  shared_->outbox.push_back(OutItem{OutItem::Type::kJob, std::move(spec), "", state});
  if (shared_->outbox.size() >= shared_->wake_after_jobs) {
    shared_->WakeLoopLocked();
  }
  return future;
}

WorkflowHandle Client::SubmitWorkflow(WorkflowSpec spec, const WorkflowOptions& options) {
  NameUnnamedNodes(spec);
  WorkflowHandle handle;
  std::vector<std::shared_ptr<FutureState>> nodes;
  nodes.reserve(spec.nodes.size());
  handle.names_.reserve(spec.nodes.size());
  handle.nodes_.reserve(spec.nodes.size());
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    auto node = std::make_shared<FutureState>(options.notify, i, nullptr);
    handle.names_.push_back(spec.nodes[i].name());
    handle.by_name_.emplace(spec.nodes[i].name(), i);  // the first of a duplicate name
    handle.nodes_.push_back(FutureAccess::Make(shared_, node));
    nodes.push_back(std::move(node));
  }
  const size_t window_cost =
      std::max<size_t>(1, std::min(spec.nodes.size(), options_.window_jobs_max));
  auto state = std::make_shared<client_internal::WorkflowState>(options.notify, handle.names_,
                                                                std::move(nodes), window_cost);
  handle.future_ = WorkflowFuture(shared_, state);

  absl::Status bad = CheckWorkflowSpec(spec);
  for (size_t i = 0; bad.ok() && i < spec.nodes.size(); ++i) {
    if (const char* field = NonUtf8Field(spec.nodes[i].job()); field != nullptr) {
      bad = absl::InvalidArgumentError(absl::StrCat("node \"", spec.nodes[i].name(), "\": its ",
                                                    field, " is not valid UTF-8 text"));
    }
  }
  if (!IsValidUtf8(spec.name)) {
    bad = absl::InvalidArgumentError("the workflow's name is not valid UTF-8 text");
  }
  ReadyFutures ready(shared_);
  std::unique_lock lock(shared_->mutex);
  if (!bad.ok()) {
    client_internal::FailWorkflowIfPending(state, bad, ready);
    return handle;
  }
  shared_->changed.wait(lock, [&] {
    return !shared_->failure.ok() || shared_->stop ||
           shared_->window_used + window_cost <= options_.window_jobs_max;
  });
  if (!shared_->failure.ok() || shared_->stop) {
    client_internal::FailWorkflowIfPending(
        state,
        shared_->failure.ok() ? absl::CancelledError("the client is closing") : shared_->failure,
        ready);
    return handle;
  }
  shared_->window_used += window_cost;
  auto message = std::make_unique<wire::SubmitWorkflow>();
  message->set_name(std::move(spec.name));
  message->set_notify(options.notify);
  message->mutable_nodes()->Reserve(static_cast<int>(spec.nodes.size()));
  for (WorkflowNode& node : spec.nodes) {
    *message->add_nodes() = std::move(node);
  }
  OutItem item;
  item.type = OutItem::Type::kWorkflow;
  item.workflow_message = std::move(message);
  item.workflow = std::move(state);
  shared_->outbox.push_back(std::move(item));
  shared_->WakeLoopLocked();
  return handle;
}

std::vector<Future> Client::Wait(std::span<const JobId> ids, CompletionQueue* completions) {
  auto queue = completions == nullptr ? nullptr : completions->state_;
  std::vector<std::shared_ptr<FutureState>> states;
  std::vector<Future> futures;
  states.reserve(ids.size());
  futures.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (queue != nullptr) {
      queue->Expect();  // before taking Shared::mutex: never hold both
    }
    auto state = std::make_shared<FutureState>(/*notify=*/true, i, queue);
    state->ack.emplace().id = ids[i];
    futures.push_back(FutureAccess::Make(shared_, state));
    states.push_back(std::move(state));
  }
  ReadyFutures ready(shared_);
  std::lock_guard lock(shared_->mutex);
  if (!shared_->failure.ok() || shared_->stop) {
    for (const auto& state : states) {
      state->failure =
          shared_->failure.ok() ? absl::CancelledError("the client is closing") : shared_->failure;
      ready.AddIfDone(state);
    }
    return futures;
  }
  for (auto& state : states) {
    shared_->new_waits.push_back(std::move(state));
  }
  if (!ids.empty()) {
    shared_->WakeLoopLocked();
  }
  return futures;
}

absl::Status Client::SendSentinel(std::string_view queue) {
  auto state = std::make_shared<FutureState>(/*notify=*/false, 0, nullptr);
  std::unique_lock lock(shared_->mutex);
  if (!shared_->failure.ok()) {
    return shared_->failure;
  }
  if (shared_->stop) {
    return absl::CancelledError("the client is closing");
  }
  shared_->outbox.push_back(OutItem{OutItem::Type::kSentinel, {}, std::string(queue), state});
  shared_->WakeLoopLocked();
  shared_->changed.wait(lock, [&] { return state->sent || !state->failure.ok(); });
  return state->failure;
}

absl::Status Client::status() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->failure;
}

}  // namespace jobq
