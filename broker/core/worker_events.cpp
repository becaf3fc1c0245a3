// BrokerCore: messages from workers, their liveness, and leases.

#include <algorithm>

#include "absl/strings/escaping.h"
#include "broker/core/broker_core.h"
#include "common/check.h"

namespace jobq::broker::core {
namespace {

// RESULT bodies up to this size are parsed into one reused message.
constexpr size_t kResultsScratchBytesMax = 1 << 20;

// Errors that a second attempt cannot fix (docs/protocol.md, "Job
// lifecycle"): every other type is retried while attempts are left.
bool IsRetryable(const std::string& error_type) {
  return error_type != "bad_args" && error_type != "unknown_task" &&
         error_type != "result_too_large" && error_type != "bad_result";
}

}  // namespace

void BrokerCore::OnWorkerMessage(const std::string& routing_id, Command command,
                                 std::string_view body, TimeMs now_ms, Effects* effects) {
  auto bad_body = [&](const char* what) {
    OnMalformed(Socket::kBackend, routing_id, wire::ERROR_CODE_BAD_BODY,
                std::string("body of ") + CommandName(command) + " does not decode as " + what,
                effects);
  };
  if (command == Command::kHello) {
    wire::Hello hello;
    if (!hello.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return bad_body("jobq.wire.Hello");
    }
    if (std::string refused = RefuseHello(routing_id, hello); !refused.empty()) {
      effects->SendError(Socket::kBackend, routing_id, wire::ERROR_CODE_TOO_LARGE, refused);
      return;
    }
    return Hello(routing_id, hello, now_ms, effects);
  }
  auto found = workers_.find(routing_id);
  if (found == workers_.end()) {
    // A worker this broker does not know: declared dead, or a broker restart
    // in between. It must introduce itself again before anything counts.
    if (command != Command::kBye) {
      effects->Send(Socket::kBackend, routing_id, Command::kReconnect,
                    std::make_unique<wire::Empty>());
    }
    return;
  }
  WorkerInfo& worker = found->second;
  worker.last_seen_ms = now_ms;
  switch (command) {
    case Command::kCredit: {
      wire::Credit credit;
      if (!credit.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Credit");
      }
      return Credit(worker, credit);
    }
    case Command::kWorkerResult: {
      // Parsed into the same message every time: its results and their
      // strings stay allocated, so a steady stream of RESULTs allocates
      // nothing per job here.
      if (!results_scratch_.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.WorkerResults");
      }
      Results(worker, results_scratch_, now_ms, effects);
      // A big RESULT would keep its buffers in the scratch message for good.
      if (body.size() > kResultsScratchBytesMax) {
        results_scratch_ = wire::WorkerResults();
      }
      return;
    }
    case Command::kWorkerHeartbeat: {
      wire::Heartbeat heartbeat;
      if (!heartbeat.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return bad_body("jobq.wire.Heartbeat");
      }
      if (heartbeat.draining() && !worker.queues.empty()) {
        // It finishes what it holds; nothing new goes to it.
        worker.queues.clear();
      }
      RenewLeases(worker, heartbeat, now_ms);
      heartbeat.clear_holding();  // kept for status; the ids are of no more use
      worker.last_heartbeat = std::move(heartbeat);
      return;
    }
    case Command::kProgress:
      return;  // reserved; a sign of life only
    case Command::kBye:
      // Said goodbye, handing back what it held (a second SIGTERM).
      return RemoveWorker(routing_id, LeaseLoss::kHandedBack, now_ms, effects);
    default:
      OnMalformed(Socket::kBackend, routing_id, wire::ERROR_CODE_BAD_COMMAND,
                  std::string(CommandName(command)) + " is not a worker command", effects);
  }
}

std::string BrokerCore::RefuseHello(const std::string& routing_id, const wire::Hello& hello) const {
  if (hello.queues_size() > kHelloQueuesMax || hello.tasks_size() > kHelloTasksMax) {
    return "HELLO lists " + std::to_string(hello.queues_size()) + " queues and " +
           std::to_string(hello.tasks_size()) + " tasks; the limits are " +
           std::to_string(kHelloQueuesMax) + " and " + std::to_string(kHelloTasksMax);
  }
  // A worker registering again (same connection, or same name on a new
  // one) replaces its old registration, so it always has room.
  if (workers_.size() >= options_.workers_max && workers_.count(routing_id) == 0 &&
      worker_by_name_.count(hello.name()) == 0) {
    return "the broker has " + std::to_string(workers_.size()) +
           " workers, its limit (--workers-max); this worker retries, or raise the limit";
  }
  return "";
}

WorkerInfo* BrokerCore::RegistrationFor(const std::string& routing_id, const std::string& name) {
  if (auto same = workers_.find(routing_id); same != workers_.end()) {
    return &same->second;
  }
  if (auto by_name = worker_by_name_.find(name); by_name != worker_by_name_.end()) {
    return &workers_.at(by_name->second);
  }
  return nullptr;
}

bool BrokerCore::Overtaken(const wire::Hello& hello) const {
  if (hello.instance() == 0) {
    return false;  // a worker that numbers nothing
  }
  // A number is registered once: a copy of a HELLO whose registration has
  // since ended must not bring it back with the jobs listed back then.
  auto known = registration_by_instance_.find(hello.instance());
  return known != registration_by_instance_.end() && hello.registration() <= known->second;
}

void BrokerCore::RememberRegistration(uint64_t instance, uint64_t registration) {
  if (instance == 0) {
    return;
  }
  auto [it, added] = registration_by_instance_.try_emplace(instance, registration);
  it->second = std::max(it->second, registration);
  if (!added) {
    return;
  }
  instance_order_.push_back(instance);
  if (instance_order_.size() > kInstancesRememberedMax) {
    registration_by_instance_.erase(instance_order_.front());
    instance_order_.pop_front();
  }
}

void BrokerCore::SendWelcome(const WorkerInfo& worker, Effects* effects) const {
  auto welcome = std::make_unique<wire::Welcome>();
  welcome->set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  welcome->set_liveness_misses(options_.liveness_misses);
  welcome->set_result_bytes_max(options_.result_bytes_max);
  welcome->set_registration(worker.registration);
  welcome->set_broker(broker_instance_);
  effects->Send(Socket::kBackend, worker.routing_id, Command::kWelcome, std::move(welcome));
}

void BrokerCore::Hello(const std::string& routing_id, const wire::Hello& hello, TimeMs now_ms,
                       Effects* effects) {
  const std::string name =
      hello.name().empty() ? "worker-" + absl::BytesToHexString(routing_id) : hello.name();
  WorkerInfo* current = RegistrationFor(routing_id, name);
  if (current != nullptr && hello.instance() != 0 && current->instance == hello.instance() &&
      current->registration == hello.registration() && current->routing_id == routing_id) {
    // Re-sent while its WELCOME was on the way: the registration stands,
    // with the credit it had and the jobs dispatched under it since.
    current->last_seen_ms = now_ms;
    SendWelcome(*current, effects);
    return;
  }
  if (Overtaken(hello)) {
    // A later HELLO of the same process registered already, or this one's
    // registration ended: its view of what the worker holds is out of date.
    ++counters_.late_hellos;
    return;
  }
  // The jobs the worker says it holds that are still leased to its previous
  // registration (same routing id, or same name over a new connection) stay
  // leased to it; whatever else that registration held goes back to the queue.
  // Jobs recovered from the store as running are adopted the same way.
  std::unordered_set<JobId> held;
  std::vector<JobId> adopted;
  for (const wire::HeldJob& job : hello.in_flight()) {
    if (auto id = JobId::FromBytes(job.id())) {
      const Job* known = FindJob(*id);
      if (known != nullptr && known->state == wire::JOB_STATE_RUNNING &&
          known->attempt == job.attempt()) {
        held.insert(*id);
        if (orphans_.erase(*id) == 1) {
          adopted.push_back(*id);
        }
      }
    }
  }
  std::vector<std::string> previous = {routing_id};
  if (auto by_name = worker_by_name_.find(name);
      by_name != worker_by_name_.end() && by_name->second != routing_id) {
    previous.push_back(by_name->second);
  }
  std::vector<JobId> transferred;
  for (const std::string& old_id : previous) {
    auto old = workers_.find(old_id);
    if (old == workers_.end()) {
      continue;
    }
    for (const JobId& id : old->second.leased) {
      if (held.count(id)) {
        transferred.push_back(id);
      }
    }
    for (const JobId& id : transferred) {
      old->second.leased.erase(id);
    }
    // The same process registering again lost nothing it ran: what it does
    // not list was still on its way to it, and it drops that. Another
    // process under the name means the one that held it ended.
    const bool same_process = old->second.instance == hello.instance();
    RemoveWorker(old_id, same_process ? LeaseLoss::kHandedBack : LeaseLoss::kWorkerDied, now_ms,
                 effects);
  }

  WorkerInfo& worker = workers_[routing_id];
  worker = WorkerInfo{};
  worker.routing_id = routing_id;
  // A ROUTER's routing ids are binary, and names travel in protobuf string
  // fields (admin listings), which must be UTF-8: hex, not the raw bytes.
  worker.name = name;
  worker.host = hello.host();
  worker.pid = hello.pid();
  worker.instance = hello.instance();
  worker.registration = hello.registration();
  RememberRegistration(worker.instance, worker.registration);
  worker.queues.assign(hello.queues().begin(), hello.queues().end());
  if (worker.queues.empty()) {
    worker.queues.push_back("default");
  }
  for (const wire::TaskInfo& task : hello.tasks()) {
    worker.task_kinds[task.name()] = task.kind();
  }
  for (const wire::PoolCapacity& pool : hello.pools()) {
    if (pool.kind() == wire::KIND_IO || pool.kind() == wire::KIND_CPU) {
      worker.capacity[pool.kind()] = pool.capacity();
    }
  }
  // Everything listed occupies a slot until its RESULT and CREDIT come,
  // whether the broker still counts it as this worker's or not: the worker
  // is running it either way.
  for (const wire::HeldJob& job : hello.in_flight()) {
    const wire::Kind kind = job.kind() == wire::KIND_CPU ? wire::KIND_CPU : wire::KIND_IO;
    ++worker.listed_at_hello[kind];
  }
  worker.UpdateCredit(wire::KIND_IO);
  worker.UpdateCredit(wire::KIND_CPU);
  worker.registered_ms = now_ms;
  worker.last_seen_ms = now_ms;
  worker_by_name_[worker.name] = routing_id;
  transferred.insert(transferred.end(), adopted.begin(), adopted.end());
  for (const JobId& id : transferred) {
    // Still running and counted as such; only the lease holder changes.
    Job& job = jobs_.at(id);
    if (job.leased_to != routing_id) {
      // The store names the holder too: after a restart, CANCELs go there.
      job.leased_to = routing_id;
      effects->JobChanged(id);
    }
    job.lease_expires_ms = LeaseExpiry(job, now_ms);
    worker.leased.insert(id);
    if (job.cancel_requested) {
      // Cancelled while its worker was away (or before a restart): tell
      // the worker now.
      auto cancel = std::make_unique<wire::Cancel>();
      cancel->add_ids(std::string(id.Bytes()));
      effects->Send(Socket::kBackend, routing_id, Command::kWorkerCancel, std::move(cancel));
    }
  }
  dispatch_pending_ = true;
  SendWelcome(worker, effects);
}

void BrokerCore::Credit(WorkerInfo& worker, const wire::Credit& credit) {
  if (credit.kind() != wire::KIND_IO && credit.kind() != wire::KIND_CPU) {
    return;
  }
  // A running total: an older CREDIT overtaken by a newer one, or one
  // repeated, changes nothing. Nobody frees more slots than it was given,
  // so a larger claim is cut to that.
  if (credit.registration() != worker.registration) {
    return;  // a total of a registration since replaced
  }
  const wire::Kind pool = credit.kind();
  const uint64_t held_max = uint64_t{worker.listed_at_hello[pool]} + worker.dispatched[pool];
  const uint64_t total = credit.freed_total() != 0 ? credit.freed_total()
                                                   : worker.freed_total[pool] + credit.credits();
  const uint64_t freed = std::min(total, held_max);
  if (freed <= worker.freed_total[pool]) {
    return;
  }
  worker.freed_total[pool] = freed;
  worker.UpdateCredit(pool);
  dispatch_pending_ = true;
}

void BrokerCore::Results(WorkerInfo& worker, const wire::WorkerResults& results, TimeMs now_ms,
                         Effects* effects) {
  for (const wire::JobResult& result : results.results()) {
    std::optional<JobId> id = JobId::FromBytes(result.id());
    auto it = id ? jobs_.find(*id) : jobs_.end();
    if (it == jobs_.end()) {
      ++counters_.late_results;
      continue;
    }
    Job& job = it->second;
    if (auto orphan = orphans_.find(job.id);
        orphan != orphans_.end() && job.attempt == result.attempt()) {
      // Recovered as running and not listed in a HELLO, yet only the worker
      // given this attempt can report it: its holder is back.
      orphans_.erase(orphan);
      job.leased_to = worker.routing_id;
      worker.leased.insert(job.id);
    }
    // One result per (job, attempt), from the worker holding the lease.
    if (job.state != wire::JOB_STATE_RUNNING || job.leased_to != worker.routing_id ||
        job.attempt != result.attempt()) {
      LateResult(job, result, now_ms, effects);
      continue;
    }
    if (!result.ok() && result.error().type() == kRefusedErrorType) {
      Refused(job, now_ms, effects);
      continue;
    }
    stats_.OnResult(job, result, now_ms);
    ReleaseLease(job);
    if (result.ok() && result.result().size() > options_.result_bytes_max) {
      // Workers check this themselves (WELCOME says the limit); one that
      // did not still cannot make the broker keep it.
      ++worker.jobs_failed;
      ++job.failures;
      job.error.Clear();
      job.error.set_type("result_too_large");
      job.error.set_message("the result is " + std::to_string(result.result().size()) +
                            " bytes; the broker keeps at most " +
                            std::to_string(options_.result_bytes_max) + " (--result-max)");
      Finish(job, wire::JOB_STATE_FAILED, now_ms, effects);
      continue;
    }
    if (result.ok()) {
      ++worker.jobs_done;
      job.result = result.result();
      job.result_content_type = result.content_type();
      job.error.Clear();
      Finish(job, wire::JOB_STATE_SUCCEEDED, now_ms, effects);
      continue;
    }
    ++worker.jobs_failed;
    ++job.failures;
    job.error = result.error();
    if (job.cancel_requested) {
      // Cancelled while it ran (a producer's CANCEL or admin CancelJobs):
      // whatever error its stop produced, it ends cancelled, never retried.
      job.error.set_message("cancelled while it ran; its worker stopped it (" + job.error.type() +
                            ": " + job.error.message() + ")");
      job.error.set_type(kCancelledErrorType);
      Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
      continue;
    }
    const uint32_t max_attempts = std::max<uint32_t>(1, job.spec.max_attempts());
    if (!IsRetryable(job.error.type()) || max_attempts == 1) {
      Finish(job, wire::JOB_STATE_FAILED, now_ms, effects);
    } else if (job.failures >= max_attempts) {
      Finish(job, wire::JOB_STATE_DEAD, now_ms, effects);
    } else {
      ++counters_.retried;
      Schedule(job, now_ms + BackoffFor(job), now_ms, effects);
    }
  }
}

void BrokerCore::LateResult(Job& job, const wire::JobResult& result, TimeMs now_ms,
                            Effects* effects) {
  // A success of an attempt the broker gave up on (its worker was declared
  // dead, or its lease expired) still means the work is done: take it
  // instead of running the job again. Failures of such attempts, and
  // anything for a finished job, are ignored: the job is being retried
  // already, or has its one outcome.
  const bool taken_back =
      result.attempt() >= 1 && result.attempt() <= job.attempt &&
      !(job.state == wire::JOB_STATE_RUNNING && result.attempt() == job.attempt);
  if (!result.ok() || IsTerminal(job.state) || !taken_back ||
      result.result().size() > options_.result_bytes_max) {
    ++counters_.late_results;
    return;
  }
  switch (job.state) {
    case wire::JOB_STATE_RUNNING: {
      // A later attempt runs somewhere: stop it.
      auto cancel = std::make_unique<wire::Cancel>();
      cancel->add_ids(std::string(job.id.Bytes()));
      effects->Send(Socket::kBackend, job.leased_to, Command::kWorkerCancel, std::move(cancel));
      orphans_.erase(job.id);
      ReleaseLease(job);
      break;
    }
    default:
      // Queued or scheduled: its ready-queue or timer entry is skipped when
      // it comes up.
      break;
  }
  job.result = result.result();
  job.result_content_type = result.content_type();
  job.error.Clear();
  Finish(job, wire::JOB_STATE_SUCCEEDED, now_ms, effects);
}

TimeMs BrokerCore::BackoffFor(const Job& job) {
  // Exponential, capped, with "equal jitter" (half fixed, half random) so
  // that jobs failing together do not come back together.
  const TimeMs base = std::max<TimeMs>(1, job.spec.backoff_ms());
  const uint32_t doublings = std::min<uint32_t>(job.failures > 0 ? job.failures - 1 : 0, 40);
  // Compared before shifting: a long backoff doubled 40 times passes int64.
  const TimeMs delay =
      base > (options_.backoff_max_ms >> doublings) ? options_.backoff_max_ms : base << doublings;
  const TimeMs half = delay / 2;
  std::uniform_int_distribution<TimeMs> jitter(0, delay - half);
  return half + jitter(jitter_);
}

TimeMs BrokerCore::LivenessWindowMs() const {
  return static_cast<TimeMs>(options_.heartbeat_interval_ms) * options_.liveness_misses;
}

TimeMs BrokerCore::LeaseExpiry(const Job& job, TimeMs now_ms) const {
  const TimeMs covered = job.spec.timeout_ms() > 0 ? job.spec.timeout_ms() : LivenessWindowMs();
  return now_ms + covered + options_.lease_grace_ms;
}

void BrokerCore::Lease(Job& job, WorkerInfo& worker, wire::Kind pool, TimeMs now_ms,
                       Effects* effects) {
  ++worker.dispatched[pool];
  worker.UpdateCredit(pool);
  ++job.attempt;
  Transition(job, wire::JOB_STATE_RUNNING, now_ms);
  job.leased_to = worker.routing_id;
  job.started_ms = now_ms;
  job.lease_expires_ms = LeaseExpiry(job, now_ms);
  worker.leased.insert(job.id);
  effects->JobChanged(job.id);

  wire::Dispatch& dispatch = effects->DispatchFor(worker.routing_id);
  JOBQ_CHECK(dispatch.jobs_size() == 0 || dispatch.registration() == worker.registration)
      << "one DISPATCH carries the jobs of one registration";
  dispatch.set_registration(worker.registration);
  dispatch.set_broker(broker_instance_);
  wire::DispatchedJob& out = *dispatch.add_jobs();
  out.set_id(std::string(job.id.Bytes()));
  out.set_queue(job.spec.queue());
  out.set_task(job.spec.task());
  out.set_payload(job.spec.payload());
  out.set_content_type(job.spec.content_type().empty() ? kDefaultContentType
                                                       : job.spec.content_type());
  out.set_kind(pool);
  out.set_attempt(job.attempt);
  out.set_timeout_ms(job.spec.timeout_ms());
}

void BrokerCore::ReleaseLease(Job& job) {
  auto worker = workers_.find(job.leased_to);
  if (worker != workers_.end()) {
    worker->second.leased.erase(job.id);
  }
  job.leased_to.clear();
  job.lease_expires_ms = 0;
  if (skip_attempt_.erase(job.id) == 1) {
    ++job.attempt;
  }
}

void BrokerCore::LoseLease(Job& job, LeaseLoss loss, TimeMs now_ms, Effects* effects) {
  ReleaseLease(job);
  stats_.OnLeaseLost(job, now_ms);
  if (job.cancel_requested) {
    // Cancelled while it ran: not run again.
    job.error.set_type(kCancelledErrorType);
    job.error.set_message("cancelled while it ran; its worker went away");
    Finish(job, wire::JOB_STATE_CANCELLED, now_ms, effects);
    return;
  }
  if (loss == LeaseLoss::kWorkerDied && ++job.worker_crashes >= options_.poison_after) {
    job.error.set_type("poison");
    job.error.set_message("the job was running on " + std::to_string(job.worker_crashes) +
                          " workers whose process ended (crashed, killed, or silent past the "
                          "liveness window); it is held dead rather than let it end more "
                          "(--poison-after)");
    Finish(job, wire::JOB_STATE_DEAD, now_ms, effects);
    return;
  }
  if (loss == LeaseLoss::kExpired && ++job.lost_leases >= options_.lost_leases_max) {
    job.error.set_type("worker_lost");
    job.error.set_message("the job's lease ran out " + std::to_string(job.lost_leases) +
                          " times on live workers (its result never came)");
    Finish(job, wire::JOB_STATE_DEAD, now_ms, effects);
    return;
  }
  ++counters_.requeued;
  Enqueue(job, /*at_front=*/true, now_ms, effects);
}

void BrokerCore::Refused(Job& job, TimeMs now_ms, Effects* effects) {
  ++counters_.refused;
  // Not a failure, and no attempt spent: the job never ran. The worker
  // credits its slot back only a heartbeat later, so until then the
  // broker's count of its free slots is what the worker can really take.
  LoseLease(job, LeaseLoss::kHandedBack, now_ms, effects);
}

void BrokerCore::RemoveWorker(const std::string& routing_id, LeaseLoss loss, TimeMs now_ms,
                              Effects* effects) {
  auto found = workers_.find(routing_id);
  if (found == workers_.end()) {
    return;
  }
  // Requeued in id order (= submit order) so PushFront leaves the oldest first.
  std::vector<JobId> leased(found->second.leased.begin(), found->second.leased.end());
  std::sort(leased.rbegin(), leased.rend());
  for (const JobId& id : leased) {
    LoseLease(jobs_.at(id), loss, now_ms, effects);
  }
  if (auto by_name = worker_by_name_.find(found->second.name);
      by_name != worker_by_name_.end() && by_name->second == routing_id) {
    worker_by_name_.erase(by_name);
  }
  if (rr_cursor_ == routing_id) {
    rr_cursor_.clear();
  }
  workers_.erase(found);
}

void BrokerCore::CheckLiveness(TimeMs now_ms, Effects* effects) {
  const TimeMs silence_max_ms =
      static_cast<TimeMs>(options_.heartbeat_interval_ms) * options_.liveness_misses;
  std::vector<std::string> dead;
  for (const auto& [routing_id, worker] : workers_) {
    if (now_ms - worker.last_seen_ms > silence_max_ms) {
      dead.push_back(routing_id);
    }
  }
  for (const std::string& routing_id : dead) {
    ++counters_.workers_lost;
    RememberDeadWorker(workers_.at(routing_id), now_ms);
    RemoveWorker(routing_id, LeaseLoss::kWorkerDied, now_ms, effects);  // missed heartbeats
  }
}

void BrokerCore::RenewLeases(WorkerInfo& worker, const wire::Heartbeat& heartbeat, TimeMs now_ms) {
  for (const std::string& raw_id : heartbeat.holding()) {
    std::optional<JobId> id = JobId::FromBytes(raw_id);
    if (!id || worker.leased.count(*id) == 0) {
      continue;
    }
    Job& job = jobs_.at(*id);
    // A job with a timeout keeps the lease it got: the worker reports a
    // timeout by then, so one still running past it is stuck or lost.
    if (job.spec.timeout_ms() <= 0) {
      job.lease_expires_ms = LeaseExpiry(job, now_ms);
    }
  }
}

void BrokerCore::ExpireLeases(TimeMs now_ms, Effects* effects) {
  // (id, whether a live worker held it). Orphans' workers did not come back
  // after a broker restart; that is not the job's doing, so not counted.
  std::vector<std::pair<JobId, bool>> expired;
  for (const auto& [routing_id, worker] : workers_) {
    for (const JobId& id : worker.leased) {
      if (jobs_.at(id).lease_expires_ms <= now_ms) {
        expired.emplace_back(id, true);
      }
    }
  }
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    if (it->second <= now_ms) {
      expired.emplace_back(it->first, false);
      it = orphans_.erase(it);
    } else {
      ++it;
    }
  }
  // Requeued at the front newest first, so the oldest ends up first.
  std::sort(expired.rbegin(), expired.rend());
  for (const auto& [id, held_by_live_worker] : expired) {
    Job& job = jobs_.at(id);
    if (held_by_live_worker) {
      ++counters_.leases_expired;
      // It may still be running there: stop it, the job will run elsewhere.
      auto cancel = std::make_unique<wire::Cancel>();
      cancel->add_ids(std::string(id.Bytes()));
      effects->Send(Socket::kBackend, job.leased_to, Command::kWorkerCancel, std::move(cancel));
    }
    LoseLease(job, held_by_live_worker ? LeaseLoss::kExpired : LeaseLoss::kOrphaned, now_ms,
              effects);
  }
}

void BrokerCore::SendHeartbeats(Effects* effects) {
  for (const auto& [routing_id, worker] : workers_) {
    effects->Send(Socket::kBackend, routing_id, Command::kBrokerHeartbeat,
                  std::make_unique<wire::Heartbeat>());
  }
}

}  // namespace jobq::broker::core
