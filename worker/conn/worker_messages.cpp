#include "worker/conn/worker_messages.h"

namespace jobq::worker {

wire::Kind ToWireKind(TaskKind kind) {
  switch (kind) {
    case TaskKind::kIo:
      return wire::KIND_IO;
    case TaskKind::kCpu:
      return wire::KIND_CPU;
  }
  return wire::KIND_UNSPECIFIED;
}

std::optional<TaskKind> FromWireKind(wire::Kind kind) {
  switch (kind) {
    case wire::KIND_IO:
      return TaskKind::kIo;
    case wire::KIND_CPU:
      return TaskKind::kCpu;
    default:
      return std::nullopt;
  }
}

wire::Hello BuildHello(const WorkerIdentity& identity, const std::vector<JobPool*>& pools,
                       const std::set<std::string>& queues, const TaskRegistry& registry,
                       const InFlightJobs& running, const std::vector<UnsentResult>& unsent) {
  wire::Hello hello;
  hello.set_name(identity.name);
  hello.set_host(identity.host);
  hello.set_pid(identity.pid);
  for (const JobPool* pool : pools) {
    wire::PoolCapacity* capacity = hello.add_pools();
    capacity->set_kind(ToWireKind(pool->kind()));
    capacity->set_capacity(pool->capacity());
  }
  for (const std::string& queue : queues) {
    hello.add_queues(queue);
  }
  for (const auto& [name, definition] : registry.tasks()) {
    wire::TaskInfo* task = hello.add_tasks();
    task->set_name(name);
    task->set_kind(ToWireKind(definition.kind));
  }
  for (const InFlightJobs::Key& key : running.Keys()) {
    wire::HeldJob* job = hello.add_in_flight();
    job->set_id(key.id);
    job->set_attempt(key.attempt);
    job->set_kind(ToWireKind(running.PoolOf(key).value_or(TaskKind::kIo)));
  }
  for (const UnsentResult& finished : unsent) {
    wire::HeldJob* job = hello.add_in_flight();
    job->set_id(finished.result.id());
    job->set_attempt(finished.result.attempt());
    job->set_kind(ToWireKind(finished.pool));
  }
  return hello;
}

wire::Heartbeat BuildHeartbeat(const std::vector<JobPool*>& pools, const InFlightJobs& in_flight,
                               const JobCounters& counters, const ProcessStats::Sample& stats) {
  wire::Heartbeat heartbeat;
  heartbeat.set_cpu_percent(stats.cpu_percent);
  heartbeat.set_rss_bytes(stats.rss_bytes);
  for (const JobPool* pool : pools) {
    wire::PoolLoad* load = heartbeat.add_pools();
    load->set_kind(ToWireKind(pool->kind()));
    load->set_capacity(pool->capacity());
    load->set_in_flight(in_flight.CountFor(pool->kind()));
  }
  heartbeat.set_jobs_done(counters.done);
  heartbeat.set_jobs_failed(counters.failed);
  // Renews the leases of jobs without a timeout, which would otherwise be
  // taken back after a liveness window.
  for (const InFlightJobs::Key& key : in_flight.Keys()) {
    heartbeat.add_holding(key.id);
  }
  return heartbeat;
}

}  // namespace jobq::worker
