// BrokerCore: worker registration — HELLO (its bounds, a HELLO re-sent or
// overtaken, the jobs a worker lists kept leased to it, orphans adopted) and
// WELCOME. Separate: a registration replaces an older one by routing id or
// by name, which no other message does.

#include <algorithm>
#include <unordered_set>

#include "absl/strings/escaping.h"
#include "broker/core/broker_core.h"

namespace jobq::broker::core {

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

}  // namespace jobq::broker::core
