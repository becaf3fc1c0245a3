#include "tests/support/core_harness.h"

namespace jobq::testing {

using broker::core::Outbound;

void CoreHarness::Step() {
  core_.Tick(clock_.NowMs(), &effects_);
  core_.CheckInvariants();
}

void CoreHarness::FromClient(const std::string& client, Command command,
                             const google::protobuf::Message& body) {
  RawFromClient(client, command, body.SerializeAsString());
}

void CoreHarness::RawFromClient(const std::string& client, Command command,
                                const std::string& body) {
  effects_.Clear();
  core_.OnClientMessage(client, command, body, clock_.NowMs(), &effects_);
  Step();
}

void CoreHarness::FromWorker(const std::string& worker, Command command,
                             const google::protobuf::Message& body) {
  effects_.Clear();
  core_.OnWorkerMessage(worker, command, body.SerializeAsString(), clock_.NowMs(), &effects_);
  Step();
}

void CoreHarness::Heartbeat(const std::string& worker, const std::vector<JobId>& holding) {
  wire::Heartbeat heartbeat;
  for (const JobId& id : holding) {
    heartbeat.add_holding(std::string(id.Bytes()));
  }
  FromWorker(worker, Command::kWorkerHeartbeat, heartbeat);
}

void CoreHarness::AdvanceMs(TimeMs delta_ms) {
  effects_.Clear();
  clock_.AdvanceMs(delta_ms);
  Step();
}

std::vector<JobId> CoreHarness::Submit(const std::string& client,
                                       const std::vector<std::string>& tasks,
                                       const std::string& queue, int32_t priority, bool notify,
                                       uint32_t max_attempts) {
  wire::Submit submit;
  submit.set_first_seq(1);
  submit.set_notify(notify);
  for (const std::string& task : tasks) {
    wire::JobSpec& spec = *submit.add_jobs();
    spec.set_task(task);
    spec.set_queue(queue);
    spec.set_priority(priority);
    spec.set_max_attempts(max_attempts);
  }
  FromClient(client, Command::kSubmit, submit);
  std::vector<JobId> ids;
  for (const wire::SubmitAck& ack : Acks(client)) {
    if (auto id = JobId::FromBytes(ack.id())) {
      ids.push_back(*id);
    }
  }
  return ids;
}

void CoreHarness::Hello(const std::string& worker, uint32_t io_capacity,
                        const std::vector<std::string>& queues,
                        const std::vector<wire::HeldJob>& held) {
  wire::Hello hello;
  hello.set_name(worker);
  hello.set_host("test");
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(io_capacity);
  for (const std::string& queue : queues) {
    hello.add_queues(queue);
  }
  for (const wire::HeldJob& job : held) {
    *hello.add_in_flight() = job;
  }
  FromWorker(worker, Command::kHello, hello);
}

void CoreHarness::Register(const std::string& worker, uint32_t io_capacity, uint64_t instance,
                           uint64_t registration, const std::vector<wire::HeldJob>& held) {
  wire::Hello hello;
  hello.set_name(worker);
  hello.set_host("test");
  hello.set_instance(instance);
  hello.set_registration(registration);
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(io_capacity);
  hello.add_queues("default");
  for (const wire::HeldJob& job : held) {
    *hello.add_in_flight() = job;
  }
  FromWorker(worker, Command::kHello, hello);
}

void CoreHarness::CreditTotal(const std::string& worker, uint64_t freed_total,
                              uint64_t registration) {
  wire::Credit credit;
  credit.set_kind(wire::KIND_IO);
  credit.set_freed_total(freed_total);
  credit.set_registration(registration);
  FromWorker(worker, Command::kCredit, credit);
}

void CoreHarness::Credit(const std::string& worker, uint32_t credits) {
  wire::Credit credit;
  credit.set_kind(wire::KIND_IO);
  credit.set_credits(credits);
  FromWorker(worker, Command::kCredit, credit);
}

void CoreHarness::Result(const std::string& worker, const JobId& id, uint32_t attempt, bool ok,
                         const std::string& error_type) {
  wire::WorkerResults results;
  wire::JobResult& result = *results.add_results();
  result.set_id(std::string(id.Bytes()));
  result.set_attempt(attempt);
  result.set_ok(ok);
  if (ok) {
    result.set_result("42");
  } else {
    result.mutable_error()->set_type(error_type);
    result.mutable_error()->set_message("it broke");
  }
  FromWorker(worker, Command::kWorkerResult, results);
}

namespace {

template <typename Message>
std::vector<const Message*> BodiesTo(const broker::core::Effects& effects, const std::string& peer,
                                     Command command) {
  std::vector<const Message*> bodies;
  for (const Outbound& out : effects.outbound) {
    if (out.routing_id == peer && out.command == command) {
      bodies.push_back(static_cast<const Message*>(out.body.get()));
    }
  }
  return bodies;
}

}  // namespace

std::vector<wire::DispatchedJob> CoreHarness::Dispatched(const std::string& worker) const {
  std::vector<wire::DispatchedJob> jobs;
  for (const auto* dispatch : BodiesTo<wire::Dispatch>(effects_, worker, Command::kDispatch)) {
    jobs.insert(jobs.end(), dispatch->jobs().begin(), dispatch->jobs().end());
  }
  return jobs;
}

std::vector<wire::SubmitAck> CoreHarness::Acks(const std::string& client) const {
  std::vector<wire::SubmitAck> acks;
  for (const auto* submitted : BodiesTo<wire::Submitted>(effects_, client, Command::kSubmitted)) {
    acks.insert(acks.end(), submitted->acks().begin(), submitted->acks().end());
  }
  return acks;
}

std::vector<wire::JobOutcome> CoreHarness::Outcomes(const std::string& client) const {
  std::vector<wire::JobOutcome> outcomes;
  for (const auto* results :
       BodiesTo<wire::ClientResults>(effects_, client, Command::kClientResult)) {
    outcomes.insert(outcomes.end(), results->outcomes().begin(), results->outcomes().end());
  }
  return outcomes;
}

std::vector<Command> CoreHarness::CommandsTo(const std::string& peer) const {
  std::vector<Command> commands;
  for (const Outbound& out : effects_.outbound) {
    if (out.routing_id == peer) {
      commands.push_back(out.command);
    }
  }
  return commands;
}

std::vector<wire::Error> CoreHarness::Errors(const std::string& peer) const {
  std::vector<wire::Error> errors;
  for (const auto* error : BodiesTo<wire::Error>(effects_, peer, Command::kError)) {
    errors.push_back(*error);
  }
  return errors;
}

std::vector<wire::Welcome> CoreHarness::Welcomes(const std::string& worker) const {
  std::vector<wire::Welcome> welcomes;
  for (const auto* welcome : BodiesTo<wire::Welcome>(effects_, worker, Command::kWelcome)) {
    welcomes.push_back(*welcome);
  }
  return welcomes;
}

std::vector<std::string> Tasks(const std::vector<wire::DispatchedJob>& jobs) {
  std::vector<std::string> tasks;
  for (const auto& job : jobs) {
    tasks.push_back(job.task());
  }
  return tasks;
}

JobId IdOf(const wire::DispatchedJob& job) { return JobId::FromBytes(job.id()).value_or(JobId()); }

JobId IdOf(const wire::SubmitAck& ack) { return JobId::FromBytes(ack.id()).value_or(JobId()); }

}  // namespace jobq::testing
