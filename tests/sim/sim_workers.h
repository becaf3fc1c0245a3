#pragma once
// SimWorkers: the simulated workers, each as the real worker behaves
// (worker/conn/broker_connection.cpp). They say HELLO, wait for WELCOME,
// run DISPATCHed jobs (honouring their timeouts) and answer RESULT +
// CREDIT, heartbeat listing the jobs they hold, crash, stall past the
// liveness window, say BYE, drain; some silently lose a RESULT on a link
// that stays up (only the lease expiry frees that job); a few break the
// protocol on purpose.
//
// Credit: a worker checks every DISPATCH of its registration against its
// capacity (CreditRespected), drops DISPATCHes of a replaced registration,
// and sometimes refuses a job (worker_overloaded): the job goes back, no
// attempt spent.
//
// Not thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_env.h"
#include "tests/sim/sim_network.h"

namespace jobq::testing {

class SimModel;
struct Checkers;

struct HeldJob {
  TimeMs finish_ms = 0;
  bool ok = true;
  std::string error_type;
  bool refused = false;  // refused for want of room: its slot is not credited back
};

// The worker's connection, as broker_connection.cpp has it.
enum class Link {
  kDown,       // HELLO at hello_at_ms
  kHelloSent,  // waiting for WELCOME; HELLO again at hello_at_ms
  kUp,         // registered: results and heartbeats go out
};

struct SimWorker {
  std::string id;
  uint32_t capacity = 1;
  std::vector<std::string> queues;  // what it still takes jobs from
  bool broken = false;              // ignores the protocol on purpose
  bool lossy = false;               // loses some RESULTs on a link that stays up
  bool crashed = false;             // silent forever
  bool gone = false;                // said BYE
  bool draining = false;
  TimeMs silent_until_ms = 0;  // stalled (no messages out) until then
  TimeMs next_heartbeat_ms = 0;
  Link link = Link::kDown;
  TimeMs hello_at_ms = 0;
  std::map<std::pair<JobId, uint32_t>, HeldJob> held;
  std::set<std::pair<JobId, uint32_t>> seen;
  std::vector<wire::JobResult> unsent;  // finished while not registered; listed in HELLO
  std::vector<Message> outbox;          // held back while stalled
  uint64_t instance = 0;                // Hello.instance, as the real worker's
  uint64_t registration = 0;            // of its latest HELLO
  uint64_t broker = 0;                  // Welcome.broker it registered with
  uint64_t freed_total = 0;             // slots freed under that registration
  uint64_t refused_slots = 0;           // of refused jobs, credited at the next heartbeat

  bool alive() const { return !crashed && !gone; }
};

class SimWorkers {
 public:
  // Each argument must outlive the workers.
  SimWorkers(SimEnv& env, const SimModel& model, Checkers& checks)
      : env_(env), model_(model), checks_(checks) {}

  // A new worker for `queue`, else for some of kQueues; `broken` ones break
  // the protocol on purpose.
  void Spawn(std::optional<std::string> queue, bool broken = false);
  // A message from the broker to worker `message.peer`.
  void Receive(const Message& message);
  // Time passed: every worker finishes jobs, heartbeats, reconnects,
  // leaves, and (with faults) crashes, stalls, drains, or misbehaves.
  void Time(bool faults);
  // A message to or from `worker` was lost: its connection broke.
  void LinkBroke(const std::string& worker);
  // Every connection broke. A worker notices at once or, still talking,
  // when the new broker answers RECONNECT; some never come back.
  void BrokerRestarted();
  // The quiet phase begins: stalled workers wake.
  void WakeAll();
  // Spawns healthy workers for each queue that has unfinished jobs or
  // sentinels, until alive, undrained workers have room there for a few of
  // its jobs: a queue emptied of consumers by a sentinel gets new ones, and
  // a backlog does not stretch the run.
  void EnsureConsumers();

  bool IsBroken(const std::string& worker) const;
  const std::vector<SimWorker>& all() const { return workers_; }

 private:
  std::optional<size_t> IndexOf(const std::string& id) const;
  SimWorker* Find(const std::string& id);
  void SendToCore(SimWorker& worker, Message message);
  void SendHello(SimWorker& worker, bool new_registration);
  void RegisterAgain(SimWorker& worker, const char* what);
  // `freed`: whether slots were freed since the last CREDIT, which then
  // carries the registration's running total.
  void SendResults(SimWorker& worker, const wire::WorkerResults& results, bool freed);
  void Welcomed(SimWorker& worker, const wire::Welcome& welcome);
  void Dispatched(SimWorker& worker, const wire::Dispatch& dispatch);
  void TimeFor(SimWorker& worker, bool faults);
  void Finish(SimWorker& worker, bool faults);
  // A worker that breaks the protocol on purpose.
  void Misbehave(SimWorker& worker);
  // Now and then a PROGRESS for a job it holds, or (late) for an attempt it
  // no longer holds, as a report that crossed its RESULT or a CANCEL would.
  void ReportProgress(SimWorker& worker);

  SimEnv& env_;
  const SimModel& model_;
  Checkers& checks_;
  std::vector<SimWorker> workers_;  // workers_[i].id == "w<i>"
};

}  // namespace jobq::testing
