#include "broker/net/broker_loop.h"

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <iterator>
#include <vector>
#include <zmq_addon.hpp>

#include "broker/admin/job_requests.h"
#include "broker/net/latency_timer.h"
#include "common/job_state.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/transport/zmq_messages.h"

namespace jobq::broker::net {
namespace {

// The loop wakes at least this often to notice RequestStop().
constexpr TimeMs kMaxPollMs = 100;

constexpr std::string_view kUnknownJobWhy =
    "the id is wrong, or the job finished and its result expired (result TTL)";

// `with_result`: ListJobs leaves results out, which may be large; their
// size still shows.
// `worker`: the name of the worker running the job, when the core knows it.
void FillJobInfo(const core::Job& job, const core::WorkerInfo* worker, bool with_result,
                 ::jobq::admin::JobInfo* info) {
  info->set_id(std::string(job.id.Bytes()));
  info->set_queue(job.spec.queue());
  info->set_task(job.spec.task());
  info->set_state(job.state);
  info->set_attempts(job.attempt);
  info->set_failures(job.failures);
  info->set_max_attempts(job.spec.max_attempts());
  info->set_priority(job.spec.priority());
  info->set_idempotency_key(job.spec.idempotency_key());
  info->set_submitted_ms(job.submitted_ms);
  info->set_started_ms(job.started_ms);
  info->set_finished_ms(job.finished_ms);
  info->set_expires_ms(job.expires_ms);
  info->set_content_type(job.result_content_type);
  info->set_result_bytes(job.result.size());
  if (with_result) {
    info->set_result(job.result);
  }
  if (!job.error.type().empty() || !job.error.message().empty()) {
    *info->mutable_error() = job.error;
  }
  if (worker != nullptr) {
    info->set_worker(worker->name);
  }
}

// The ids of an admin request, all valid or an error: nothing is done
// with some of them when another is malformed.
absl::StatusOr<std::vector<JobId>> ParseJobIds(
    const google::protobuf::RepeatedPtrField<std::string>& raw_ids) {
  std::vector<JobId> ids;
  ids.reserve(static_cast<size_t>(raw_ids.size()));
  for (const std::string& bytes : raw_ids) {
    std::optional<JobId> id = JobId::FromBytes(bytes);
    if (!id) {
      return absl::InvalidArgumentError("ids holds one that is not a 16-byte job id");
    }
    ids.push_back(*id);
  }
  return ids;
}

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
      mailbox_(context_, zmq::socket_type::router),
      frontend_watch_(context_, "frontend", options.connections_max),
      backend_watch_(context_, "backend", options.connections_max),
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
  mailbox_.set(zmq::sockopt::linger, 0);
  mailbox_.bind(mailbox_endpoint_);
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
  const size_t mailbox_item = poll(mailbox_);
  constexpr size_t kNotPolled = SIZE_MAX;
  const size_t writer_item = writer_ ? poll(writer_->done_socket()) : kNotPolled;
  const size_t zap_item = zap_ ? poll(zap_->socket()) : kNotPolled;
  const size_t frontend_events_item = poll(frontend_watch_.events());
  const size_t backend_events_item = poll(backend_watch_.events());
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
  JOBQ_RETURN_IF_ERROR(CommitAndSend());
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
        JOBQ_RETURN_IF_ERROR(OnBatchCommitted(*done));
      }
    }
    now_ms = clock_->NowMs();
    if (readable(frontend_item)) {
      ReadSocket(frontend_, /*frontend=*/true, now_ms);
    }
    if (readable(backend_item)) {
      ReadSocket(backend_, /*frontend=*/false, now_ms);
    }
    deadline_ms = core_->Tick(now_ms, &effects_);
    JOBQ_RETURN_IF_ERROR(CommitAndSend());
    if (readable(mailbox_item)) {
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
  JOBQ_RETURN_IF_ERROR(fatal_);
  // Acknowledgements that wait for a commit still go out before we exit.
  return CommitAndFlush();
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

bool BrokerLoop::AheadOfStore(const core::Outbound& out) const {
  if (out.command != Command::kDispatch) {
    return false;
  }
  // A restored broker skips one attempt number, so at most one DISPATCH per
  // job may be out that the store does not record; another one waits.
  const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
  for (const wire::DispatchedJob& job : dispatch.jobs()) {
    std::optional<JobId> id = JobId::FromBytes(job.id());
    auto stored = id ? committed_attempts_.find(*id) : committed_attempts_.end();
    const uint32_t committed = stored == committed_attempts_.end() ? 0 : stored->second;
    if (job.attempt() > committed + 1) {
      return true;
    }
  }
  return false;
}

absl::Status BrokerLoop::CommitAndSend() {
  if (effects_.empty()) {
    return absl::OkStatus();
  }
  if (!writer_) {
    return CommitInlineAndSend();
  }
  const bool wrote = effects_.has_store_writes();
  if (wrote) {
    auto append = [](auto& to, auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(unwritten_.changed_jobs, effects_.changed_jobs);
    append(unwritten_.erased_jobs, effects_.erased_jobs);
    append(unwritten_.sentinels_added, effects_.sentinels_added);
    append(unwritten_.sentinels_removed, effects_.sentinels_removed);
  }
  // The batch a client message depends on: the one gathering this step's
  // writes, else the one in flight (it may hold what the message reports).
  const uint64_t batch = unwritten_.has_store_writes() ? next_batch_
                         : writer_->busy()             ? next_batch_ - 1
                                                       : 0;
  for (core::Outbound& out : effects_.outbound) {
    const bool to_worker = out.socket == core::Socket::kBackend;
    if ((to_worker && out.command != Command::kWorkerSentinel && !AheadOfStore(out)) ||
        (batch == 0 && held_.empty())) {
      // Workers may get a job before it is durable: if the broker dies
      // first, the job was never acknowledged and its producer re-sends it,
      // and a restored broker skips the one attempt number it may have used
      // (a DISPATCH that would make it two waits for its commit).
      // A SENTINEL waits for its removal to be durable, or a restored broker
      // would fire it again and stop a second round of workers.
      Send(out);
    } else {
      held_.emplace_back(std::max(batch, held_.empty() ? 0 : held_.back().first), std::move(out));
    }
  }
  effects_.Clear();
  StartNextBatch();
  return absl::OkStatus();
}

void BrokerLoop::StartNextBatch() {
  if (writer_->busy() || !unwritten_.has_store_writes()) {
    return;
  }
  OwnedBatch batch;
  // A job changed many times since the last batch is written once, in its
  // latest state. Sorting the ids dedups them without a hash set.
  std::vector<JobId>& changed = unwritten_.changed_jobs;
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  batch.changed.reserve(changed.size());
  in_flight_attempts_.clear();
  for (const JobId& id : changed) {
    if (const core::Job* job = core_->FindJob(id)) {
      batch.changed.push_back(*job);
      batch.changed.back().watchers.clear();  // connections, not state
      in_flight_attempts_.emplace_back(id, job->attempt, core::IsTerminal(job->state));
    }
  }
  in_flight_erased_ = unwritten_.erased_jobs;
  batch.erased = std::move(unwritten_.erased_jobs);
  batch.sentinels_added = std::move(unwritten_.sentinels_added);
  batch.sentinels_removed = std::move(unwritten_.sentinels_removed);
  unwritten_.Clear();
  writer_->Commit(std::move(batch));
  ++next_batch_;
}

absl::Status BrokerLoop::OnBatchCommitted(const absl::Status& status) {
  if (!status.ok()) {
    // Nothing that waited for this batch may be acknowledged: stop, and let
    // the restart recover from what the store holds.
    held_.clear();
    return absl::InternalError("store commit failed: " + std::string(status.message()));
  }
  ++committed_batch_;
  for (const auto& [id, attempt, finished] : in_flight_attempts_) {
    if (finished) {
      committed_attempts_.erase(id);
    } else {
      committed_attempts_[id] = attempt;
    }
  }
  for (const JobId& id : in_flight_erased_) {
    committed_attempts_.erase(id);
  }
  while (!held_.empty() && held_.front().first <= committed_batch_) {
    Send(held_.front().second);
    held_.pop_front();
  }
  StartNextBatch();
  return absl::OkStatus();
}

absl::Status BrokerLoop::CommitAndFlush() {
  JOBQ_RETURN_IF_ERROR(CommitAndSend());
  while (writer_ && writer_->busy()) {
    JOBQ_RETURN_IF_ERROR(OnBatchCommitted(writer_->WaitIdle()));
  }
  return absl::OkStatus();
}

absl::Status BrokerLoop::CommitInlineAndSend() {
  if (effects_.has_store_writes() && store_->keeps_jobs()) {
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
    const store::CommitBatch batch{changed_scratch_, effects_.erased_jobs, effects_.sentinels_added,
                                   effects_.sentinels_removed};
    absl::Status committed = [&] {
      ScopedLatencyTimer commit_timer(&inline_commit_latency_);
      return store_->Commit(batch);
    }();
    if (!committed.ok()) {
      effects_.Clear();
      return absl::InternalError("store commit failed: " + std::string(committed.message()));
    }
  }
  for (const core::Outbound& out : effects_.outbound) {
    Send(out);
  }
  effects_.Clear();
  return absl::OkStatus();
}

void BrokerLoop::FillStatus(TimeMs now_ms, ::jobq::admin::GetStatusResponse* status) const {
  core_->FillStatus(now_ms, status);
  status->set_store(store_->Describe());
  status->set_durable(store_->durable());
  if (zap_) {
    status->mutable_counters()->set_auth_refused_frontend(zap_->refused(ZapSocket::kFrontend));
    status->mutable_counters()->set_auth_refused_backend(zap_->refused(ZapSocket::kBackend));
  }
  iteration_latency_.Fill(status->mutable_figures()->mutable_loop_iteration());
  (writer_ ? writer_->CommitLatency() : inline_commit_latency_)
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

// Mailbox requests are [routing id] [verb] [body?], answered with
// [routing id] [reply...]:
//   "status"                        -> [serialized GetStatusResponse]
//   "shutdown-drain", "shutdown-now" -> [workers left to drain, in decimal]
//   "list-jobs", "get-job", "retry-jobs", "list-queues", "list-workers",
//   "cancel-jobs", "purge-queue", "pause-queue", "resume-queue",
//   "drain-worker", with the serialized admin request
//   as body -> [code] [payload]: code the absl::StatusCode in decimal;
//   payload the serialized response when it is 0, the error message else.
// The requesters are this process's own threads, so nothing here is
// hostile; the job verbs still refuse bodies that do not decode.
void BrokerLoop::ServeMailbox(TimeMs now_ms) {
  for (int i = 0; i < options_.messages_per_iteration; ++i) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(mailbox_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return;
    }
    if (frames.size() != 2 && frames.size() != 3) {
      continue;
    }
    const std::string verb = frames[1].to_string();
    const std::string_view body =
        frames.size() == 3 ? frames[2].to_string_view() : std::string_view();
    std::vector<std::string> reply;
    if (verb == "status") {
      ::jobq::admin::GetStatusResponse status;
      FillStatus(now_ms, &status);
      reply.push_back(status.SerializeAsString());
    } else if (verb == "shutdown-drain") {
      JOBQ_LOG(kInfo, "broker", "shutdown_requested").Kv("mode", "drain");
      core_->BeginShutdown(now_ms, &effects_);
      stop_when_drained_ = true;
      reply.push_back(std::to_string(core_->worker_count()));
    } else if (verb == "shutdown-now") {
      JOBQ_LOG(kInfo, "broker", "shutdown_requested").Kv("mode", "now");
      RequestStop();
      reply.push_back("0");
    } else {
      absl::StatusOr<std::string> answer =
          absl::InvalidArgumentError("unknown mailbox verb \"" + verb + "\"");
      if (verb == "list-jobs") {
        answer = ServeListJobs(body);
      } else if (verb == "get-job") {
        answer = ServeGetJob(body);
      } else if (verb == "retry-jobs") {
        answer = ServeRetryJobs(body);
      } else if (verb == "list-queues") {
        answer = ServeListQueues(body);
      } else if (verb == "list-workers") {
        answer = ServeListWorkers(body, now_ms);
      } else if (verb == "cancel-jobs") {
        answer = ServeCancelJobs(body, now_ms);
      } else if (verb == "purge-queue") {
        answer = ServePurgeQueue(body, now_ms);
      } else if (verb == "pause-queue" || verb == "resume-queue") {
        answer = ServePauseQueue(body, verb == "pause-queue");
      } else if (verb == "drain-worker") {
        answer = ServeDrainWorker(body);
      }
      reply.push_back(std::to_string(static_cast<int>(answer.status().code())));
      reply.push_back(answer.ok() ? *std::move(answer) : std::string(answer.status().message()));
    }
    mailbox_.send(frames[0], zmq::send_flags::sndmore);
    for (size_t part = 0; part < reply.size(); ++part) {
      mailbox_.send(zmq::buffer(reply[part]),
                    part + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
}

absl::StatusOr<std::string> BrokerLoop::ServeListJobs(std::string_view body) const {
  ::jobq::admin::ListJobsRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("ListJobsRequest does not decode");
  }
  core::JobFilter filter;
  filter.state = request.state();
  filter.queue = request.queue();
  filter.task = request.task();
  if (!request.page_after().empty()) {
    filter.after = JobId::FromBytes(request.page_after());
    if (!filter.after) {
      return absl::InvalidArgumentError("page_after is not a 16-byte job id");
    }
  }
  const size_t limit = request.limit() == 0
                           ? admin::kDefaultListLimit
                           : std::min<size_t>(request.limit(), admin::kMaxListLimit);
  filter.limit = limit;
  const core::JobPage page = core_->ListJobs(filter);
  ::jobq::admin::ListJobsResponse response;
  for (const core::Job* job : page.jobs) {
    FillJobInfo(*job, core_->FindWorker(job->leased_to), /*with_result=*/false,
                response.add_jobs());
  }
  if (page.next_after) {
    response.set_next_page_after(std::string(page.next_after->Bytes()));
    // The token is the same place in the id's text form (NormalizeListJobs
    // turns it back): printable, and opaque to callers all the same.
    response.set_next_page_token(page.next_after->ToString());
  }
  return response.SerializeAsString();
}

absl::StatusOr<std::string> BrokerLoop::ServeGetJob(std::string_view body) const {
  ::jobq::admin::GetJobRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("GetJobRequest does not decode");
  }
  std::optional<JobId> id = JobId::FromBytes(request.id());
  if (!id) {
    return absl::InvalidArgumentError("id is not a 16-byte job id");
  }
  const core::Job* job = core_->FindJob(*id);
  if (job == nullptr) {
    return absl::NotFoundError("no job " + id->ToString() +
                               " here: " + std::string(kUnknownJobWhy));
  }
  ::jobq::admin::JobInfo info;
  FillJobInfo(*job, core_->FindWorker(job->leased_to), /*with_result=*/true, &info);
  return info.SerializeAsString();
}

absl::StatusOr<std::string> BrokerLoop::ServeRetryJobs(std::string_view body) {
  ::jobq::admin::RetryJobsRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("RetryJobsRequest does not decode");
  }
  // Every id is checked before any job is touched: all or nothing.
  JOBQ_ASSIGN_OR_RETURN(std::vector<JobId> ids, ParseJobIds(request.ids()));
  ::jobq::admin::RetryJobsResponse response;
  bool any_retried = false;
  for (const JobId& id : ids) {
    ::jobq::admin::RetryJobResult* result = response.add_results();
    result->set_id(std::string(id.Bytes()));
    const core::Job* job = core_->FindJob(id);
    const wire::JobState state = job != nullptr ? job->state : wire::JOB_STATE_UNSPECIFIED;
    result->set_state(state);
    switch (core_->RetryJob(id, clock_->NowMs(), &effects_)) {
      case core::RetryOutcome::kRetried:
        any_retried = true;
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_RETRIED);
        result->set_message("retried: queued again, with its full retry budget");
        break;
      case core::RetryOutcome::kUnknownJob:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_UNKNOWN_JOB);
        result->set_message("not retried: no such job here: " + std::string(kUnknownJobWhy));
        break;
      case core::RetryOutcome::kNotFinished:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_NOT_FINISHED);
        result->set_message(std::string("not retried: the job ") +
                            (state == wire::JOB_STATE_SUCCEEDED
                                 ? "succeeded"
                                 : "is still " + std::string(JobStateName(state))) +
                            "; only dead, failed or cancelled jobs can be retried");
        break;
      case core::RetryOutcome::kShuttingDown:
        result->set_outcome(::jobq::admin::RetryJobResult::OUTCOME_SHUTTING_DOWN);
        result->set_message("not retried: the broker is shutting down and takes no new work");
        break;
    }
  }
  // "retried" is an acknowledgement: like SUBMITTED it leaves only once the
  // store has the job queued again.
  if (any_retried) {
    if (absl::Status committed = CommitAndFlush(); !committed.ok()) {
      JOBQ_LOG(kError, "broker", "stopped").Kv("why", committed.message());
      fatal_ = committed;  // Run returns it: the broker must exit with an error
      RequestStop();
      return absl::InternalError(std::string(committed.message()) +
                                 "; the broker stops, and the jobs stay as they were");
    }
  }
  return response.SerializeAsString();
}

std::optional<std::vector<std::string>> BrokerLoop::AskLoop(std::string_view verb,
                                                            std::optional<std::string_view> body,
                                                            TimeMs timeout_ms) {
  try {
    // One socket per call: sockets are not thread-safe, and admin calls are
    // rare enough that creating one costs nothing that matters.
    zmq::socket_t requester(context_, zmq::socket_type::dealer);
    requester.set(zmq::sockopt::linger, 0);
    requester.connect(mailbox_endpoint_);
    if (body) {
      requester.send(zmq::buffer(verb), zmq::send_flags::sndmore);
      requester.send(zmq::buffer(*body), zmq::send_flags::none);
    } else {
      requester.send(zmq::buffer(verb), zmq::send_flags::none);
    }
    zmq::pollitem_t item{requester.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) {
      return std::nullopt;
    }
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(requester, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return std::nullopt;
    }
    std::vector<std::string> reply;
    for (const zmq::message_t& frame : frames) {
      reply.push_back(frame.to_string());
    }
    return reply;
  } catch (const zmq::error_t&) {
    return std::nullopt;  // the context is shutting down
  }
}

absl::StatusOr<std::string> BrokerLoop::AskJobs(std::string_view verb, const std::string& body,
                                                TimeMs timeout_ms) {
  std::optional<std::vector<std::string>> reply = AskLoop(verb, body, timeout_ms);
  if (!reply) {
    return absl::UnavailableError("the broker's loop did not answer within " +
                                  std::to_string(timeout_ms) + " ms (busy or stuck); try again");
  }
  int code = -1;
  if (reply->size() == 2) {
    const std::string& text = (*reply)[0];
    std::from_chars(text.data(), text.data() + text.size(), code);
  }
  if (code < 0) {
    return absl::InternalError("the broker's loop sent a malformed answer");
  }
  if (code == 0) {
    return std::move((*reply)[1]);
  }
  return absl::Status(static_cast<absl::StatusCode>(code), (*reply)[1]);
}

std::shared_ptr<const ::jobq::admin::GetStatusResponse> BrokerLoop::FetchStatus(TimeMs timeout_ms) {
  std::optional<std::vector<std::string>> reply = AskLoop("status", std::nullopt, timeout_ms);
  if (!reply || reply->size() != 1) {
    return nullptr;
  }
  auto status = std::make_shared<::jobq::admin::GetStatusResponse>();
  if (!status->ParseFromString(reply->front())) {
    return nullptr;
  }
  return status;
}

absl::StatusOr<uint32_t> BrokerLoop::Shutdown(bool drain, TimeMs timeout_ms) {
  std::optional<std::vector<std::string>> reply =
      AskLoop(drain ? "shutdown-drain" : "shutdown-now", std::nullopt, timeout_ms);
  if (!reply || reply->size() != 1) {
    return absl::UnavailableError("the broker's loop did not answer; stop it with SIGTERM");
  }
  return static_cast<uint32_t>(std::stoul(reply->front()));
}

// Each parses what it gets back: a reply that does not decode is the
// loop's bug, reported rather than passed on as an empty answer.
absl::StatusOr<::jobq::admin::ListJobsResponse> BrokerLoop::ListJobs(
    const ::jobq::admin::ListJobsRequest& request, TimeMs timeout_ms) {
  absl::StatusOr<std::string> reply = AskJobs("list-jobs", request.SerializeAsString(), timeout_ms);
  if (!reply.ok()) {
    return reply.status();
  }
  ::jobq::admin::ListJobsResponse response;
  if (!response.ParseFromString(*reply)) {
    return absl::InternalError("the broker's loop sent a ListJobsResponse that does not decode");
  }
  return response;
}

absl::StatusOr<::jobq::admin::JobInfo> BrokerLoop::GetJob(
    const ::jobq::admin::GetJobRequest& request, TimeMs timeout_ms) {
  absl::StatusOr<std::string> reply = AskJobs("get-job", request.SerializeAsString(), timeout_ms);
  if (!reply.ok()) {
    return reply.status();
  }
  ::jobq::admin::JobInfo info;
  if (!info.ParseFromString(*reply)) {
    return absl::InternalError("the broker's loop sent a JobInfo that does not decode");
  }
  return info;
}

absl::StatusOr<::jobq::admin::RetryJobsResponse> BrokerLoop::RetryJobs(
    const ::jobq::admin::RetryJobsRequest& request, TimeMs timeout_ms) {
  absl::StatusOr<std::string> reply =
      AskJobs("retry-jobs", request.SerializeAsString(), timeout_ms);
  if (!reply.ok()) {
    if (absl::IsUnavailable(reply.status())) {
      return absl::UnavailableError(std::string(reply.status().message()) +
                                    "; the retries may still take effect: check with jobq jobs");
    }
    return reply.status();
  }
  ::jobq::admin::RetryJobsResponse response;
  if (!response.ParseFromString(*reply)) {
    return absl::InternalError("the broker's loop sent a RetryJobsResponse that does not decode");
  }
  return response;
}

absl::Status BrokerLoop::CommitForAdmin(std::string_view what) {
  if (absl::Status committed = CommitAndFlush(); !committed.ok()) {
    JOBQ_LOG(kError, "broker", "stopped").Kv("why", committed.message());
    fatal_ = committed;  // Run returns it: the broker must exit with an error
    RequestStop();
    return absl::InternalError(std::string(committed.message()) + "; the broker stops, and " +
                               std::string(what) + " may not have taken effect");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BrokerLoop::ServeListQueues(std::string_view body) const {
  ::jobq::admin::ListQueuesRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("ListQueuesRequest does not decode");
  }
  ::jobq::admin::ListQueuesResponse response;
  core_->FillQueues(&response);
  return response.SerializeAsString();
}

absl::StatusOr<std::string> BrokerLoop::ServeListWorkers(std::string_view body,
                                                         TimeMs now_ms) const {
  ::jobq::admin::ListWorkersRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("ListWorkersRequest does not decode");
  }
  ::jobq::admin::ListWorkersResponse response;
  core_->FillWorkers(now_ms, &response);
  return response.SerializeAsString();
}

absl::StatusOr<std::string> BrokerLoop::ServeCancelJobs(std::string_view body, TimeMs now_ms) {
  ::jobq::admin::CancelJobsRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("CancelJobsRequest does not decode");
  }
  JOBQ_ASSIGN_OR_RETURN(std::vector<JobId> ids, ParseJobIds(request.ids()));
  ::jobq::admin::CancelJobsResponse response;
  bool any_changed = false;
  for (const JobId& id : ids) {
    ::jobq::admin::CancelJobResult* result = response.add_results();
    result->set_id(std::string(id.Bytes()));
    const core::Job* job = core_->FindJob(id);
    const wire::JobState state = job != nullptr ? job->state : wire::JOB_STATE_UNSPECIFIED;
    result->set_state(state);
    switch (core_->CancelJob(id, now_ms, &effects_)) {
      case core::CancelOutcome::kCancelled:
        any_changed = true;
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_CANCELLED);
        result->set_message("cancelled: it was " + std::string(JobStateName(state)));
        break;
      case core::CancelOutcome::kCancelRequested:
        any_changed = true;
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_CANCEL_REQUESTED);
        result->set_message(
            "cancel requested: it is running; its worker was told to stop it, and it ends "
            "cancelled");
        if (const core::WorkerInfo* worker = core_->FindWorker(job->leased_to)) {
          result->set_message("cancel requested: it is running on " + worker->name +
                              ", which was told to stop it; it ends cancelled");
        }
        break;
      case core::CancelOutcome::kUnknownJob:
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_UNKNOWN_JOB);
        result->set_message("not cancelled: no such job here: " + std::string(kUnknownJobWhy));
        break;
      case core::CancelOutcome::kAlreadyFinished:
        result->set_outcome(::jobq::admin::CancelJobResult::OUTCOME_ALREADY_FINISHED);
        result->set_message("not cancelled: the job is " + std::string(JobStateName(state)) +
                            " already");
        break;
    }
  }
  if (any_changed) {
    JOBQ_RETURN_IF_ERROR(CommitForAdmin("the cancels"));
  }
  return response.SerializeAsString();
}

absl::StatusOr<std::string> BrokerLoop::ServePurgeQueue(std::string_view body, TimeMs now_ms) {
  ::jobq::admin::PurgeQueueRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("PurgeQueueRequest does not decode");
  }
  std::optional<size_t> purged = core_->PurgeQueue(request.queue(), now_ms, &effects_);
  if (!purged) {
    return absl::NotFoundError("no queue \"" + request.queue() +
                               "\" here: jobq queues lists the queues");
  }
  if (*purged > 0) {
    JOBQ_RETURN_IF_ERROR(CommitForAdmin("the purge"));
  }
  JOBQ_LOG(kInfo, "broker", "queue_purged").Kv("queue", request.queue()).Kv("cancelled", *purged);
  ::jobq::admin::PurgeQueueResponse response;
  response.set_cancelled(*purged);
  return response.SerializeAsString();
}

absl::StatusOr<std::string> BrokerLoop::ServePauseQueue(std::string_view body, bool pause) {
  // PauseQueueRequest and ResumeQueueRequest are the same on the wire.
  ::jobq::admin::PauseQueueRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("PauseQueueRequest does not decode");
  }
  const std::string& queue = request.queue();
  switch (pause ? core_->PauseQueue(queue) : core_->ResumeQueue(queue)) {
    case core::QueueControlOutcome::kDone:
      JOBQ_LOG(kInfo, "broker", pause ? "queue_paused" : "queue_resumed").Kv("queue", queue);
      // Both responses are empty messages.
      return std::string();
    case core::QueueControlOutcome::kUnknownQueue:
      return absl::NotFoundError("no queue \"" + queue + "\" here: jobq queues lists the queues");
    case core::QueueControlOutcome::kAlreadyPaused:
      return absl::FailedPreconditionError("queue \"" + queue +
                                           "\" is paused already; jobq resume " + queue +
                                           " lets it dispatch again");
    case core::QueueControlOutcome::kNotPaused:
      return absl::FailedPreconditionError("queue \"" + queue + "\" is not paused");
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<std::string> BrokerLoop::ServeDrainWorker(std::string_view body) {
  ::jobq::admin::DrainWorkerRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("DrainWorkerRequest does not decode");
  }
  std::vector<std::string> queues;
  switch (core_->DrainWorker(request.name(), &effects_, &queues)) {
    case core::DrainOutcome::kDraining:
      break;
    case core::DrainOutcome::kUnknownWorker:
      return absl::NotFoundError("no worker named \"" + request.name() +
                                 "\" is connected: jobq workers lists them");
    case core::DrainOutcome::kAlreadyDraining:
      return absl::FailedPreconditionError("worker \"" + request.name() +
                                           "\" is draining already: it takes no more jobs and "
                                           "exits once it has finished the ones it holds");
  }
  const core::WorkerInfo* worker = core_->FindWorkerByName(request.name());
  ::jobq::admin::DrainWorkerResponse response;
  for (const std::string& queue : queues) {
    response.add_queues(queue);
  }
  response.set_in_flight(worker != nullptr ? static_cast<uint32_t>(worker->leased.size()) : 0);
  JOBQ_LOG(kInfo, "broker", "worker_drain_requested")
      .Kv("worker", request.name())
      .Kv("in_flight", response.in_flight());
  return response.SerializeAsString();
}

template <typename Response>
absl::StatusOr<Response> BrokerLoop::AskFor(std::string_view verb,
                                            const google::protobuf::Message& request,
                                            TimeMs timeout_ms) {
  absl::StatusOr<std::string> reply = AskJobs(verb, request.SerializeAsString(), timeout_ms);
  if (!reply.ok()) {
    return reply.status();
  }
  Response response;
  if (!response.ParseFromString(*reply)) {
    return absl::InternalError("the broker's loop sent a " + response.GetTypeName() +
                               " that does not decode");
  }
  return response;
}

absl::StatusOr<::jobq::admin::ListQueuesResponse> BrokerLoop::ListQueues(
    const ::jobq::admin::ListQueuesRequest& request, TimeMs timeout_ms) {
  return AskFor<::jobq::admin::ListQueuesResponse>("list-queues", request, timeout_ms);
}

absl::StatusOr<::jobq::admin::ListWorkersResponse> BrokerLoop::ListWorkers(
    const ::jobq::admin::ListWorkersRequest& request, TimeMs timeout_ms) {
  return AskFor<::jobq::admin::ListWorkersResponse>("list-workers", request, timeout_ms);
}

absl::StatusOr<::jobq::admin::CancelJobsResponse> BrokerLoop::CancelJobs(
    const ::jobq::admin::CancelJobsRequest& request, TimeMs timeout_ms) {
  auto response = AskFor<::jobq::admin::CancelJobsResponse>("cancel-jobs", request, timeout_ms);
  if (absl::IsUnavailable(response.status())) {
    return absl::UnavailableError(std::string(response.status().message()) +
                                  "; the cancels may still take effect: check with jobq job ID");
  }
  return response;
}

absl::StatusOr<::jobq::admin::PurgeQueueResponse> BrokerLoop::PurgeQueue(
    const ::jobq::admin::PurgeQueueRequest& request, TimeMs timeout_ms) {
  return AskFor<::jobq::admin::PurgeQueueResponse>("purge-queue", request, timeout_ms);
}

absl::StatusOr<::jobq::admin::PauseQueueResponse> BrokerLoop::PauseQueue(
    const ::jobq::admin::PauseQueueRequest& request, TimeMs timeout_ms) {
  return AskFor<::jobq::admin::PauseQueueResponse>("pause-queue", request, timeout_ms);
}

absl::StatusOr<::jobq::admin::ResumeQueueResponse> BrokerLoop::ResumeQueue(
    const ::jobq::admin::ResumeQueueRequest& request, TimeMs timeout_ms) {
  return AskFor<::jobq::admin::ResumeQueueResponse>("resume-queue", request, timeout_ms);
}

absl::StatusOr<::jobq::admin::DrainWorkerResponse> BrokerLoop::DrainWorker(
    const ::jobq::admin::DrainWorkerRequest& request, TimeMs timeout_ms) {
  return AskFor<::jobq::admin::DrainWorkerResponse>("drain-worker", request, timeout_ms);
}

}  // namespace jobq::broker::net
