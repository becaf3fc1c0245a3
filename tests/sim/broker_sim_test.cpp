// Seeded, deterministic simulation of BrokerCore and its store (DESIGN §4,
// §11, STYLE §8; in the spirit of TigerBeetle's VOPR and FoundationDB's
// RandomClogging).
//
// One std::mt19937_64, seeded from the seed, drives everything: a SimNetwork
// (sim_network.h) that drops, duplicates, delays and reorders messages,
// clients and workers that behave like the real client library and worker,
// the disk, and broker crashes. A step feeds the core one input (a message,
// or time passing) and a Tick, runs the core's CheckInvariants(), then does
// what BrokerLoop::CommitAndSend does with a durable store (group commit,
// pipelined on a writer thread):
//   - the step's store writes join those gathered since the batch in flight
//     was handed over;
//   - messages to workers go out at once, before the commit of the step
//     that made them, except SENTINEL;
//   - messages to clients (SUBMITTED, RESULT, ERROR) and SENTINELs wait, in
//     order, for the batch gathering writes if there are any, else for the
//     one in flight if there is one (else they go at once);
//   - at most one batch is in flight: when the writer is free and writes
//     are waiting, they are handed over (a copy of each changed job in its
//     latest state, taken then), and they reach the MemoryStore (the disk of
//     the simulated machine: it outlives the core) a random disk latency
//     later (a few ms, sometimes hundreds), which releases what waited.
//
// Broker crashes, at random steps, once a random prefix of the step's
// immediate messages went out: the batch in flight has reached the disk or
// not (at random), and the gathered writes (maybe several steps' worth) and
// every held message are lost, while the worker messages of those steps
// (DISPATCHes among them) may have left. After some downtime a new
// BrokerCore (same options, another id seed) is Restore()d from
// store.Recover(). Every connection breaks: clients re-send their
// unacknowledged jobs (same submit_token and client_seq) and WAIT again;
// workers say HELLO listing what they hold and what they finished but did
// not report. Some workers go down with the broker and never come back.
//
// Clients SUBMIT (a submit_token on every job, sometimes an idempotency key
// from a small shared pool; timeouts; small backoffs; notify), WAIT (re-sent
// every 2 s, as the client library does), CANCEL and SENTINEL. Workers say
// HELLO, wait for WELCOME, run DISPATCHed jobs (honouring their timeouts) and
// answer RESULT + CREDIT, heartbeat listing the jobs they hold, crash, stall
// past the liveness window, say BYE, drain; some silently lose a RESULT on a
// link that stays up (only the lease expiry frees that job); a few break the
// protocol on purpose.
//
// The model mirrors the core's memory, step by step, and keeps, per job and
// sentinel, what each batch wrote as the model had it when the batch was
// handed over: what the store must hold once the batch committed. A crash
// rolls the mirror back to that (then applies what Restore does to it).
// After every step the simulation checks, against its model:
//   1. no job is lost: every job of a committed batch (a superset of the
//      acknowledged ones) is known to the core for the whole run, across
//      restarts (the result TTL outlasts a run), and after a crash the store
//      holds exactly the jobs of the committed batches, as the model had
//      them (attempts, failures, terminal states, lease holders), and no
//      other; each batch writes the jobs as the model has them. A SUBMITTED
//      leaves only once the jobs and sentinels it acknowledges are
//      committed; every SubmitAck a client receives names such a job; a job
//      acknowledged twice (a re-sent submit) has the same id both times; one
//      job per submit_token and per idempotency key, in the core and in the
//      store; a duplicate ack names the first job;
//   2. a job reaches one terminal state and keeps it within a broker life,
//      and once committed across restarts (a crash may undo one that was
//      not: nobody heard of it); an outcome leaves only once that state is
//      committed; a watcher gets at most one outcome per registration (WAIT
//      or a notify SUBMIT, renewed after a restart) plus one per WAIT sent
//      once the job had finished, all with that state, never `unknown_job`;
//      clients get no ERROR;
//   3. no job leased to two workers at once: the model's leases (DISPATCH,
//      HELLO transfers and adoptions of orphans, accepted results, late
//      successes, ended sessions, restarts that turn the committed running
//      jobs into orphans) agree with the core's both ways, lease_expires_ms
//      included (renewed by heartbeats that list a job without a timeout);
//      the core takes a lease back only once it expired, with a CANCEL to
//      its holder, and not much later;
//   4. a job's attempt is the model's: a DISPATCH takes the next number, a
//      restore adds one to every queued or scheduled job and a requeued
//      orphan gets one more (an unrecorded DISPATCH may have used it). So,
//      although a DISPATCH leaves before its commit, the attempts in the
//      DISPATCHes that leave strictly increase per job, across restarts, and
//      each attempt reaches one worker only;
//      results are accepted exactly when the model says (the lease holder's
//      attempt, or an orphan's attempt), at most once per (job, attempt)
//      from honest workers, and move the job to the state the protocol says:
//      a retry waits its backoff (exponential, jittered, within bounds) and
//      is not dispatched before; a late success of a taken-back attempt
//      (unrecorded ones included) finishes an unfinished job once, late
//      failures change nothing; accepted failures never exceed max_attempts,
//      which the model resolves from the queue's and broker's defaults as
//      the core must;
//   5. sentinel order, across restarts: a queue's sentinels fire in order,
//      each only once every job accepted ahead of it was dispatched or
//      finished, and no job behind a sentinel is dispatched before that; a
//      sentinel's SENTINELs leave only once its removal is committed, all in
//      one firing: a firing lost in a crash (SENTINELs held, removal not
//      committed) never happened, and the restored sentinel fires again (one
//      whose removal reached the disk just before the crash is over, its
//      SENTINELs lost: at most once, as with a commit before the sends); the
//      store keeps exactly the committed sentinels that have not fired;
//   +  a worker is only declared dead after a silence longer than the
//      liveness window; a CANCEL of a job that is not running cancels it.
// Then a quiet phase (no faults, no crashes, workers spawned for queues that
// lack them) must bring every committed job to a terminal state, every
// submit to an ack, every waiting client to its outcomes and every sentinel
// to a worker (liveness; but for firings lost after their commit, above);
// once the writer is idle, the store holds every job as the core does.
//
// Network model: ZeroMQ over TCP does not lose single messages or reorder
// them on a connection; a loss means the connection broke. So a message
// dropped on a link makes its peer reconnect a little later: a worker says
// HELLO again (a new registration), a client re-sends what is
// unacknowledged and WAIT. Each link is FIFO (sim_network.h).
//
// Credit: a worker checks every DISPATCH of its registration against its
// capacity (the broker never has more jobs out to a worker than that worker
// granted, across reconnects, restarts, re-sent and overtaken HELLOs and
// CREDITs), drops DISPATCHes of a replaced registration, and sometimes
// refuses a job (worker_overloaded): the job goes back, no attempt spent.
//
// JOBQ_SIM_SEEDS=<n> runs n seeds from JOBQ_SIM_FIRST_SEED (default 1;
// n defaults to 1000); JOBQ_SIM_SEED=<n> replays one seed, with a trace of
// every event on stderr.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "broker/core/broker_core.h"
#include "broker/store/memory_store.h"
#include "common/clock.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"
#include "tests/sim/sim_network.h"

namespace jobq::testing {
namespace {

using broker::core::BrokerCore;
using broker::core::CoreOptions;
using broker::core::Effects;
using broker::core::IsTerminal;
using broker::core::Job;
using broker::core::Outbound;
using broker::core::SentinelMark;
using broker::core::Socket;
using broker::store::CommitBatch;
using broker::store::MemoryStore;
using broker::store::Recovered;

constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLivenessMisses = 3;
constexpr TimeMs kSilenceMaxMs = static_cast<TimeMs>(kHeartbeatMs) * kLivenessMisses;
constexpr TimeMs kHelloResendMs = 1000;  // the worker's default
constexpr TimeMs kWaitResendMs = 2000;   // the client library's
// The core looks for expired leases every quarter interval, the first time
// a whole interval after it started, and the simulation lets at most 150 ms
// pass between two steps.
constexpr TimeMs kExpiryLatenessMaxMs = kHeartbeatMs + 150;
const std::vector<std::string> kQueues = {"q0", "q1", "q2"};

// The seed being run, for the SIGABRT handler (the core's CheckInvariants
// aborts on a broken invariant).
volatile std::sig_atomic_t g_current_seed = 0;

void PrintReplayOnAbort(int) {
  char line[128];
  int n = std::snprintf(line, sizeof line,
                        "\nbroker core aborted; replay: JOBQ_SIM_SEED=%d "
                        "./build/tests/sim/broker_sim_test\n",
                        static_cast<int>(g_current_seed));
  if (n > 0) {
    ssize_t ignored = write(STDERR_FILENO, line, static_cast<size_t>(n));
    (void)ignored;
  }
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

// Builds the message only when the check fails.
#define SIM_EXPECT(condition, what) \
  do {                              \
    if (!(condition)) {             \
      Fail(what);                   \
    }                               \
  } while (0)

struct SimFailure {
  std::string what;
};

std::string Hex(const JobId& id) { return id.ToString(); }

// ---------------------------------------------------------------------------
// Simulated peers.

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

struct PendingSubmit {
  wire::JobSpec spec;
  bool notify = false;
};

struct SimClient {
  std::string id;
  uint64_t next_seq = 1;
  std::map<uint64_t, PendingSubmit> unacked;  // by client_seq, re-sent after a reconnect
  std::map<uint64_t, JobId> acked;            // by client_seq
  std::vector<JobId> known;                   // distinct acked ids, to WAIT for and CANCEL
  std::set<JobId> waiting;                    // outcome expected
  std::set<JobId> finished;                   // outcome received
  std::optional<TimeMs> reconnect_at_ms;
  TimeMs next_wait_resend_ms = 0;
};

// ---------------------------------------------------------------------------
// What the simulation knows of each job, independently of the core.

struct JobModel {
  std::string queue;
  std::string token;
  std::string key;
  uint32_t max_attempts = 1;  // resolved as the core must resolve it
  TimeMs backoff_ms = 0;      // resolved too
  TimeMs timeout_ms = 0;
  size_t epoch = 0;  // sentinels accepted on its queue before it
  bool dispatched_or_done = false;
  uint32_t attempt = 0;               // the core's job.attempt
  uint32_t failures = 0;              // failed results the core accepted
  bool cancel_requested = false;      // a CANCEL reached it while it ran (persisted)
  TimeMs not_before_ms = 0;           // a retry waits for its backoff
  std::set<uint32_t> honest_results;  // attempts whose result was accepted from honest workers
  std::optional<wire::JobState> terminal;
};

struct Lease {
  std::string worker;
  uint32_t attempt = 0;
  // The worker's registration holding it; 0: an orphan, running when the
  // broker restarted and not claimed by a HELLO or RESULT yet.
  uint64_t session = 0;
  TimeMs expires_ms = 0;
  bool restored = false;  // restored as running: the core skips a number when it ends

  bool orphan() const { return session == 0; }
};

struct QueueModel {
  size_t sentinels = 0;  // committed
  size_t fired = 0;
  std::vector<size_t> pending_by_epoch;  // jobs neither dispatched nor done
};

struct SentinelModel {
  std::string queue;
  size_t index = 0;  // among its queue's sentinels
  bool fired = false;
};

// What the model expects a result to do to its job.
struct Prediction {
  wire::JobState want = wire::JOB_STATE_UNSPECIFIED;
  uint32_t attempt = 0;   // of the result
  uint32_t failures = 0;  // after it (a retry's backoff grows with them)
  bool refused = false;   // back in its queue at the front, or already dispatched again
};

// A job as a committed batch wrote it: the model's view of it when the
// batch was handed over to the writer.
struct DurableJob {
  JobModel model;
  std::optional<Lease> lease;  // running: its holder and attempt
};

// The batch the writer is committing (BrokerLoop's OwnedBatch).
struct Batch {
  uint64_t number = 0;
  uint64_t steps = 0;             // whose writes it holds
  TimeMs done_ms = 0;             // when it reaches the disk
  std::vector<Job> jobs;          // copies taken at hand-off
  std::vector<DurableJob> model;  // the same jobs, as the model had them then
  std::vector<JobId> erased;
  std::vector<SentinelMark> sentinels_added;
  std::vector<SentinelModel> added_model;
  std::vector<JobId> sentinels_removed;
};

// Store writes made since the batch in flight was handed over.
struct Unwritten {
  std::vector<JobId> changed_jobs;
  std::vector<JobId> erased_jobs;
  std::vector<SentinelMark> sentinels_added;
  std::vector<JobId> sentinels_removed;

  bool has_store_writes() const {
    return !changed_jobs.empty() || !erased_jobs.empty() || !sentinels_added.empty() ||
           !sentinels_removed.empty();
  }
};

// What one step let out to clients (and its SENTINELs to workers), and what
// the model lets those messages carry: held until batch `batch` committed
// (0: sent at once).
struct Release {
  uint64_t batch = 0;
  uint64_t step = 0;
  std::vector<Outbound> messages;
  // Outcomes the step allows, per client: counted once a message to that
  // client leaves (lost with the message in a crash).
  std::map<std::string, std::map<JobId, int>> allowances;
  // Sentinels fired by the step, per queue: the SENTINELs to that queue's
  // workers are their firing.
  std::map<std::string, std::vector<JobId>> fired;
  std::vector<JobId> sentinels_added;  // acknowledged by the step's SUBMITTED
};

// How often the paths the checks are about were taken: a run that never
// takes one proves nothing about it.
struct Coverage {
  uint64_t crashes = 0;
  uint64_t crashes_in_flight_committed = 0;  // the batch in flight reached the disk first
  uint64_t crashes_in_flight_lost = 0;
  uint64_t steps_lost = 0;             // steps whose writes a crash lost
  uint64_t held_lost = 0;              // client messages and SENTINELs lost in a crash
  uint64_t unrecorded_dispatches = 0;  // DISPATCHes that left, then a crash lost their commit
  uint64_t batches = 0;
  uint64_t multi_step_batches = 0;  // holding the writes of several steps
  uint64_t duplicate_acks = 0;
  uint64_t retries = 0;
  uint64_t leases_expired = 0;
  uint64_t orphans_adopted = 0;  // by HELLO or RESULT
  uint64_t orphans_requeued = 0;
  uint64_t late_successes = 0;
  uint64_t results_lost = 0;
  uint64_t sentinels_fired = 0;        // SENTINELs that left, per sentinel
  uint64_t sentinels_refired = 0;      // fired, the firing lost in a crash, restored
  uint64_t sentinel_firings_lost = 0;  // removal committed, SENTINELs lost in a crash
  uint64_t stale_dispatches = 0;       // DISPATCHes of a replaced registration, dropped
  uint64_t repeated_hellos = 0;        // answered with WELCOME, the registration kept
  uint64_t overtaken_hellos = 0;       // older than a registration made: ignored
  uint64_t refusals = 0;               // jobs refused for want of room, requeued
  uint64_t cancels_while_running = 0;  // CANCELs of running jobs

  void Add(const Coverage& other) {
    crashes += other.crashes;
    crashes_in_flight_committed += other.crashes_in_flight_committed;
    crashes_in_flight_lost += other.crashes_in_flight_lost;
    steps_lost += other.steps_lost;
    held_lost += other.held_lost;
    unrecorded_dispatches += other.unrecorded_dispatches;
    batches += other.batches;
    multi_step_batches += other.multi_step_batches;
    duplicate_acks += other.duplicate_acks;
    retries += other.retries;
    leases_expired += other.leases_expired;
    orphans_adopted += other.orphans_adopted;
    orphans_requeued += other.orphans_requeued;
    late_successes += other.late_successes;
    results_lost += other.results_lost;
    sentinels_fired += other.sentinels_fired;
    sentinels_refired += other.sentinels_refired;
    sentinel_firings_lost += other.sentinel_firings_lost;
    stale_dispatches += other.stale_dispatches;
    repeated_hellos += other.repeated_hellos;
    overtaken_hellos += other.overtaken_hellos;
    refusals += other.refusals;
    cancels_while_running += other.cancels_while_running;
  }
};

class Simulation {
 public:
  Simulation(uint64_t seed, bool verbose) : seed_(seed), verbose_(verbose), rng_(seed), net_(rng_) {
    options_.heartbeat_interval_ms = kHeartbeatMs;
    options_.liveness_misses = kLivenessMisses;
    options_.result_ttl_ms = TimeMs{1} << 40;
    options_.lost_leases_max = 5;
    // Crashed workers are common here: poison must not end most jobs.
    options_.poison_after = 3 + static_cast<uint32_t>(Below(3));
    // Short graces and backoffs, so that leases expire and retries come
    // back within a run.
    static constexpr TimeMs kGraces[] = {200, 1000, 5000};
    options_.lease_grace_ms = kGraces[Below(3)];
    options_.max_attempts = 1 + static_cast<uint32_t>(Below(3));
    options_.backoff_ms = 1 + static_cast<TimeMs>(Below(300));
    options_.backoff_max_ms = 2000;
    if (Chance(50)) {
      options_.queue_defaults["q1"] = {3, 20};
    }
    options_.seed = rng_();
    core_ = std::make_unique<BrokerCore>(options_);
    // Some runs never crash the broker; the others every few hundred steps.
    crash_one_in_ = Chance(20) ? 0 : 100 + Below(300);
  }

  // Empty when every check held; else what broke.
  std::string Run() {
    try {
      RunPhases();
    } catch (const SimFailure& failure) {
      return failure.what;
    }
    return "";
  }

  size_t jobs() const { return jobs_.size(); }
  uint64_t restarts() const { return restarts_; }
  uint64_t steps() const { return steps_; }
  const Coverage& coverage() const { return coverage_; }
  uint64_t quiet_steps() const { return fault_steps_ > 0 ? steps_ - fault_steps_ : 0; }

 private:
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  uint64_t Below(uint64_t n) { return rng_() % n; }
  TimeMs Now() const { return clock_.NowMs(); }

  template <typename... Args>
  void Trace(const Args&... args) {
    if (!verbose_) {
      return;
    }
    std::ostringstream out;
    out << "[" << (Now() - start_ms_) << "ms] ";
    (out << ... << args);
    std::fprintf(stderr, "%s\n", out.str().c_str());
  }

  [[noreturn]] void Fail(const std::string& what) {
    std::ostringstream out;
    out << "seed " << seed_ << " at t=" << (Now() - start_ms_) << "ms step " << steps_ << " (after "
        << restarts_ << " restart(s)): " << what;
    throw SimFailure{out.str()};
  }

  void RunPhases() {
    start_ms_ = Now();
    Step([](Effects*) {}, [] {}, false);
    for (int i = 0, n = 2 + static_cast<int>(Below(4)); i < n; ++i) {
      SpawnWorker(std::nullopt);
    }
    if (Chance(15)) {
      SpawnWorker(std::nullopt);
      workers_.back().broken = true;
    }
    for (int i = 0, n = 1 + static_cast<int>(Below(3)); i < n; ++i) {
      SimClient client;
      client.id = "c" + std::to_string(i);
      client.next_wait_resend_ms = Now() + kWaitResendMs;
      clients_.push_back(std::move(client));
    }

    // Fault phase.
    const int fault_steps = 600 + static_cast<int>(Below(600));
    for (int i = 0; i < fault_steps; ++i) {
      uint64_t r = Below(100);
      if (r < 40) {
        DeliverOne();  // between other events, when one is due
      } else if (r < 50) {
        ClientAct(clients_[Below(clients_.size())]);
      } else if (r < 52) {
        SpawnWorker(std::nullopt);
      } else {
        // The broker reads whatever has arrived before time moves on: a
        // backlog would only add queueing delays no real broker has.
        while (DeliverOne()) {
        }
        AdvanceTime(1 + static_cast<TimeMs>(Below(150)), /*faults=*/true);
      }
    }

    // Quiet phase: no faults, no crashes; stalled workers wake; every queue
    // with work gets a worker; every job must finish.
    fault_steps_ = steps_;
    crashes_ = false;
    net_.set_faults(false);
    for (SimWorker& worker : workers_) {
      worker.silent_until_ms = std::min(worker.silent_until_ms, Now());
    }
    Trace("--- quiet phase ---");
    const TimeMs quiet_deadline_ms = Now() + 600'000;
    while (true) {
      while (DeliverOne()) {
      }
      const std::string unsettled = Unsettled();
      if (unsettled.empty()) {
        break;
      }
      if (Now() > quiet_deadline_ms) {
        Fail("liveness: after the quiet phase, " + unsettled);
      }
      EnsureConsumers();
      AdvanceTime(50, /*faults=*/false);
    }
    SweepChecks();
    // Once the writer is idle, the store has every job as the core has it.
    Flush();
    SIM_EXPECT(held_.empty() && !unwritten_.has_store_writes(), "writes or messages left behind");
    absl::StatusOr<Recovered> recovered = store_.Recover();
    SIM_EXPECT(recovered.ok(), "the store cannot recover");
    CheckRecovered(*recovered);
    SIM_EXPECT(recovered->sentinels.empty(), "the store still holds fired sentinels");
    for (const auto& [id, model] : jobs_) {
      auto durable = durable_jobs_.find(id);
      SIM_EXPECT(durable != durable_jobs_.end() && durable->second.model.attempt == model.attempt &&
                     durable->second.model.failures == model.failures &&
                     durable->second.model.terminal == model.terminal,
                 "once all is written, the store does not have " + Hex(id) + " as the core has it");
    }
  }

  // Empty when the run has settled; else what has not.
  std::string Unsettled() const {
    std::ostringstream out;
    int shown = 0;
    for (const auto& [id, model] : jobs_) {
      if (model.terminal) {
        continue;
      }
      const Job* job = core_->FindJob(id);
      out << (shown == 0 ? "jobs not finished:" : "") << " " << Hex(id) << "(queue " << model.queue
          << ", state " << (job ? wire::JobState_Name(job->state) : "?") << ", leased_to "
          << (job ? job->leased_to : "?") << ")";
      if (++shown == 5) {
        break;
      }
    }
    if (shown > 0) {
      // What each live worker and the core think of it: where a job stuck
      // in its queue should have gone.
      for (const SimWorker& worker : workers_) {
        if (!worker.alive()) {
          continue;
        }
        out << "\n  " << worker.id << ": link " << static_cast<int>(worker.link)
            << ", registration " << worker.registration << ", capacity " << worker.capacity
            << ", running " << worker.held.size() << ", queues";
        for (const std::string& queue : worker.queues) {
          out << " " << queue;
        }
        if (const broker::core::WorkerInfo* info = core_->FindWorkerByName(worker.id)) {
          out << "; core: registration " << info->registration << ", credit "
              << info->credit[wire::KIND_IO] << ", leased " << info->leased.size();
        } else {
          out << "; core: not registered";
        }
      }
      return out.str();
    }
    for (const SimClient& client : clients_) {
      if (!client.unacked.empty()) {
        return "client " + client.id + " has " + std::to_string(client.unacked.size()) +
               " job(s) never acknowledged, the first client_seq " +
               std::to_string(client.unacked.begin()->first);
      }
      if (!client.waiting.empty()) {
        return "client " + client.id + " never got the outcome of " + Hex(*client.waiting.begin()) +
               " (and " + std::to_string(client.waiting.size() - 1) + " more)";
      }
    }
    for (const auto& [id, sentinel] : sentinels_) {
      if (!sentinel_firings_.count(id) && !sentinel_firings_lost_.count(id)) {
        return "queue " + sentinel.queue + ": sentinel " + std::to_string(sentinel.index + 1) +
               (sentinel.fired ? " fired, its SENTINELs still held" : " never fired");
      }
    }
    return "";
  }

  // Spawns healthy workers for each queue that has unfinished jobs or
  // sentinels, until alive, undrained workers have room there for a few of
  // its jobs: a queue emptied of consumers by a sentinel gets new ones, and
  // a backlog does not stretch the run.
  void EnsureConsumers() {
    std::map<std::string, size_t> need;
    for (const auto& [id, model] : jobs_) {
      if (!model.terminal) {
        need[model.queue] = std::min<size_t>(need[model.queue] + 1, 8);
      }
    }
    for (const auto& [name, queue] : queues_) {
      if (queue.fired < queue.sentinels) {
        need[name] = std::max<size_t>(need[name], 1);
      }
    }
    std::map<std::string, size_t> room;
    for (const SimWorker& worker : workers_) {
      if (!worker.alive() || worker.draining || worker.broken) {
        continue;
      }
      for (const std::string& queue : worker.queues) {
        room[queue] += worker.capacity;
      }
    }
    for (const auto& [queue, slots] : need) {
      for (size_t have = room[queue]; have < slots; have += workers_.back().capacity) {
        SpawnWorker(queue);
      }
    }
  }

  // ---- driving the core: one step = one input + Tick + the model + the loop.

  bool PlanCrash() { return crashes_ && crash_one_in_ != 0 && Below(crash_one_in_) == 0; }

  // `after_input` updates the model with what the input meant. With
  // `crash`, the broker dies while it sends the step's messages.
  template <typename Input, typename AfterInput>
  void Step(Input input, AfterInput after_input, bool crash) {
    ++steps_;
    effects_.Clear();
    input(&effects_);
    core_->Tick(Now(), &effects_);
    core_->CheckInvariants();
    after_input();
    AfterStep();
    CommitAndSend(crash);
  }

  // Whether the loop holds `out` for a batch: messages to clients and
  // SENTINELs, whenever the step depends on a batch or others wait already.
  bool Held(const Outbound& out, bool hold) const {
    if (out.command == Command::kDispatch) {
      // A DISPATCH leaves at once only if the store has each of its jobs at
      // most one attempt behind; else it waits for its batch.
      const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
      for (const wire::DispatchedJob& job : dispatch.jobs()) {
        auto id = JobId::FromBytes(job.id());
        auto committed = committed_attempts_.find(*id);
        const uint32_t stored = committed == committed_attempts_.end() ? 0 : committed->second;
        if (job.attempt() > stored + 1) {
          return true;
        }
      }
      return false;
    }
    const bool to_worker = out.socket == Socket::kBackend;
    return hold && !(to_worker && out.command != Command::kWorkerSentinel);
  }

  // BrokerLoop::CommitAndSend with a writer thread.
  void CommitAndSend(bool crash) {
    if (effects_.has_store_writes()) {
      auto append = [](auto& to, const auto& from) {
        to.insert(to.end(), from.begin(), from.end());
      };
      append(unwritten_.changed_jobs, effects_.changed_jobs);
      append(unwritten_.erased_jobs, effects_.erased_jobs);
      append(unwritten_.sentinels_added, effects_.sentinels_added);
      append(unwritten_.sentinels_removed, effects_.sentinels_removed);
      ++unwritten_steps_;
    }
    // The batch the step's held messages depend on: the one gathering
    // writes, else the one in flight (it may hold what they report).
    const uint64_t batch = unwritten_.has_store_writes() ? next_batch_
                           : in_flight_                  ? next_batch_ - 1
                                                         : 0;
    const bool hold = batch != 0 || !held_.empty();
    Release release = std::move(step_release_);
    step_release_ = Release{};
    release.step = steps_;
    for (const SentinelMark& mark : effects_.sentinels_added) {
      release.sentinels_added.push_back(mark.id);
    }
    size_t at_once = 0;
    for (const Outbound& out : effects_.outbound) {
      at_once += Held(out, hold) ? 0 : 1;
    }
    // A crash lets a prefix of them out.
    size_t budget = crash ? Below(at_once + 1) : at_once;
    const bool all_sent = budget == at_once;
    for (Outbound& out : effects_.outbound) {
      if (Held(out, hold)) {
        release.messages.push_back(std::move(out));
      } else if (budget > 0) {
        --budget;
        Let(out, release);
      }
    }
    if (!release.messages.empty()) {
      release.batch = std::max(batch, held_.empty() ? 0 : held_.back().batch);
      held_.push_back(std::move(release));
    }
    // Dead before it handed the step's writes over, or just after.
    if (crash && !(all_sent && Chance(50))) {
      return Crash();
    }
    StartNextBatch();
    if (crash) {
      Crash();
    }
  }

  // Hands the writes gathered so far to the writer, when it is free: each
  // changed job once, as it is now (BrokerLoop::StartNextBatch).
  void StartNextBatch() {
    if (in_flight_ || !unwritten_.has_store_writes()) {
      return;
    }
    Batch batch;
    batch.number = next_batch_++;
    batch.steps = unwritten_steps_;
    std::vector<JobId>& changed = unwritten_.changed_jobs;
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    for (const JobId& id : changed) {
      const Job* job = core_->FindJob(id);
      if (job == nullptr) {
        continue;
      }
      auto model = jobs_.find(id);
      SIM_EXPECT(model != jobs_.end(), "the core writes " + Hex(id) + ", a job it never accepted");
      DurableJob durable{model->second, std::nullopt};
      if (auto lease = leases_.find(id); lease != leases_.end()) {
        durable.lease = lease->second;
      }
      CheckStored(*job, durable, "batch " + std::to_string(batch.number) + " writes ");
      batch.jobs.push_back(*job);
      batch.jobs.back().watchers.clear();  // connections, not state
      batch.model.push_back(std::move(durable));
    }
    batch.erased = std::move(unwritten_.erased_jobs);
    batch.sentinels_added = std::move(unwritten_.sentinels_added);
    for (const SentinelMark& mark : batch.sentinels_added) {
      auto model = sentinels_.find(mark.id);
      SIM_EXPECT(model != sentinels_.end(), "the core writes a sentinel nobody asked for");
      batch.added_model.push_back(model->second);
      batch.added_model.back().fired = false;
    }
    batch.sentinels_removed = std::move(unwritten_.sentinels_removed);
    unwritten_ = Unwritten{};
    unwritten_steps_ = 0;
    // A few ms, sometimes much longer (a busy disk).
    const uint64_t r = Below(100);
    const TimeMs latency_ms = r < 85   ? 1 + static_cast<TimeMs>(Below(4))
                              : r < 97 ? 5 + static_cast<TimeMs>(Below(46))
                                       : 50 + static_cast<TimeMs>(Below(400));
    batch.done_ms = Now() + latency_ms;
    ++coverage_.batches;
    coverage_.multi_step_batches += batch.steps > 1 ? 1 : 0;
    in_flight_ = std::move(batch);
  }

  // The batch in flight reaches the disk: the store, and what the model
  // expects of it, move on together.
  void CommitInFlight() {
    Batch& batch = *in_flight_;
    std::vector<const Job*> jobs;
    jobs.reserve(batch.jobs.size());
    for (const Job& job : batch.jobs) {
      jobs.push_back(&job);
    }
    const CommitBatch commit{jobs, batch.erased, batch.sentinels_added, batch.sentinels_removed};
    // Jobs it does not know count as attempt 0 (a restored job's first
    // DISPATCH waits for its commit); finished ones are forgotten.
    for (const Job& job : batch.jobs) {
      if (IsTerminal(job.state)) {
        committed_attempts_.erase(job.id);
      } else {
        committed_attempts_[job.id] = job.attempt;
      }
    }
    for (const JobId& id : batch.erased) {
      committed_attempts_.erase(id);
    }
    absl::Status committed = store_.Commit(commit);
    SIM_EXPECT(committed.ok(), "store commit failed: " + std::string(committed.message()));
    for (size_t i = 0; i < batch.jobs.size(); ++i) {
      const JobId& id = batch.jobs[i].id;
      DurableJob& written = batch.model[i];
      auto [durable, first] = durable_jobs_.try_emplace(id, written);
      if (first) {
        continue;
      }
      const std::optional<wire::JobState>& was = durable->second.model.terminal;
      SIM_EXPECT(!was || written.model.terminal == was,
                 "committed job " + Hex(id) + " left its committed terminal state " +
                     wire::JobState_Name(*was) + " for " +
                     (written.model.terminal ? wire::JobState_Name(*written.model.terminal)
                                             : std::string("an unfinished one")));
      durable->second = std::move(written);
    }
    for (const JobId& id : batch.erased) {
      durable_jobs_.erase(id);
    }
    for (size_t i = 0; i < batch.sentinels_added.size(); ++i) {
      durable_sentinels_[batch.sentinels_added[i].id] = batch.added_model[i];
    }
    for (const JobId& id : batch.sentinels_removed) {
      auto durable = durable_sentinels_.find(id);
      SIM_EXPECT(durable != durable_sentinels_.end() && !durable->second.fired,
                 "batch " + std::to_string(batch.number) + " removes sentinel " + Hex(id) +
                     ", not in the store");
      durable->second.fired = true;
    }
    committed_batch_ = batch.number;
    Trace("batch ", batch.number, " committed (", batch.jobs.size(), " job(s), ", batch.steps,
          " step(s))");
    in_flight_.reset();
  }

  // BrokerLoop::OnBatchCommitted.
  void OnBatchCommitted() {
    CommitInFlight();
    while (!held_.empty() && held_.front().batch <= committed_batch_) {
      Release release = std::move(held_.front());
      held_.pop_front();
      for (Outbound& out : release.messages) {
        Let(out, release);
      }
    }
    StartNextBatch();
  }

  // The writer finished whatever it had (BrokerLoop::CommitAndFlush).
  void Flush() {
    while (in_flight_) {
      clock_.AdvanceMs(std::max<TimeMs>(0, in_flight_->done_ms - Now()));
      OnBatchCommitted();
    }
  }

  // A message leaves the broker: what it tells the model, then the network.
  void Let(Outbound& out, Release& release) {
    if (out.socket == Socket::kFrontend) {
      if (auto allowed = release.allowances.find(out.routing_id);
          allowed != release.allowances.end()) {
        for (const auto& [id, count] : allowed->second) {
          allowed_outcomes_[{out.routing_id, id}] += count;
        }
        release.allowances.erase(allowed);
      }
      if (out.command == Command::kSubmitted) {
        const auto& submitted = static_cast<const wire::Submitted&>(*out.body);
        for (const wire::SubmitAck& ack : submitted.acks()) {
          std::optional<JobId> id = JobId::FromBytes(ack.id());
          SIM_EXPECT(!id || durable_jobs_.count(*id),
                     "SUBMITTED names " + Hex(*id) + " before its commit");
        }
        for (const JobId& id : release.sentinels_added) {
          SIM_EXPECT(durable_sentinels_.count(id),
                     "SUBMITTED acknowledges sentinel " + Hex(id) + " before its commit");
        }
      } else if (out.command == Command::kClientResult) {
        const auto& results = static_cast<const wire::ClientResults&>(*out.body);
        for (const wire::JobOutcome& outcome : results.outcomes()) {
          OnOutcome(out.routing_id, outcome);
        }
      }
    } else if (out.command == Command::kDispatch) {
      const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
      for (const wire::DispatchedJob& job : dispatch.jobs()) {
        std::optional<JobId> id = JobId::FromBytes(job.id());
        uint32_t& sent = attempts_sent_[*id];
        std::string& to = last_dispatch_to_[*id];
        SIM_EXPECT(job.attempt() > sent, "DISPATCHes of " + Hex(*id) + " went from attempt " +
                                             std::to_string(sent) + " (to " + to + ") to " +
                                             std::to_string(job.attempt()) + " (to " +
                                             out.routing_id + ")");
        sent = job.attempt();
        to = out.routing_id;
      }
    } else if (out.command == Command::kWorkerSentinel) {
      const auto& sentinel = static_cast<const wire::Sentinel&>(*out.body);
      for (const JobId& id : release.fired[sentinel.queue()]) {
        auto durable = durable_sentinels_.find(id);
        SIM_EXPECT(durable != durable_sentinels_.end() && durable->second.fired,
                   "SENTINEL of " + Hex(id) + " (" + sentinel.queue() +
                       ") left before its removal was committed");
        auto [firing, first] = sentinel_firings_.emplace(id, release.step);
        SIM_EXPECT(firing->second == release.step,
                   "sentinel " + Hex(id) + " of " + sentinel.queue() +
                       " fired twice: its SENTINELs left at steps " +
                       std::to_string(firing->second) + " and " + std::to_string(release.step));
        coverage_.sentinels_fired += first ? 1 : 0;
      }
    }
    Message message;
    message.to_core = false;
    message.worker_link = out.socket == Socket::kBackend;
    message.peer = out.routing_id;
    message.command = out.command;
    message.body = out.body->SerializeAsString();
    Trace("core -> ", out.routing_id, ": ", CommandName(out.command));
    SendFromCore(std::move(message));
  }

  // The broker process dies: the batch in flight may have reached the disk
  // just before; the gathered writes and the held messages are gone.
  void Crash() {
    ++coverage_.crashes;
    uint64_t steps_lost = unwritten_steps_;
    if (in_flight_) {
      if (Chance(50)) {
        CommitInFlight();
        ++coverage_.crashes_in_flight_committed;
      } else {
        steps_lost += in_flight_->steps;
        ++coverage_.crashes_in_flight_lost;
      }
    }
    size_t held = 0;
    for (const Release& release : held_) {
      held += release.messages.size();
      // A firing whose removal reached the disk just before the crash is
      // over, its SENTINELs lost (at most once, as with an inline commit:
      // the broker cannot die between a commit and its sends and know it).
      for (const auto& [queue, ids] : release.fired) {
        for (const JobId& id : ids) {
          auto durable = durable_sentinels_.find(id);
          if (durable != durable_sentinels_.end() && durable->second.fired &&
              !sentinel_firings_.count(id) && sentinel_firings_lost_.insert(id).second) {
            Trace("sentinel ", Hex(id), " of ", queue, " fired; its SENTINELs are lost");
            ++coverage_.sentinel_firings_lost;
          }
        }
      }
    }
    Trace("broker crashes: ", steps_lost, " step(s) of writes and ", held, " held message(s) lost");
    coverage_.steps_lost += steps_lost;
    coverage_.held_lost += held;
    in_flight_.reset();
    unwritten_ = Unwritten{};
    unwritten_steps_ = 0;
    held_.clear();
    Restart();
  }

  void Restart() {
    ++restarts_;
    net_.BrokerCrashed();
    core_.reset();
    // The downtime also keeps the ids of the next life above this one's
    // (ids are time-ordered), as a real restart does.
    clock_.AdvanceMs(1 + static_cast<TimeMs>(Below(2000)));
    Trace("=== broker restart ", restarts_, " ===");
    CoreOptions options = options_;
    options.seed = options_.seed + restarts_;
    core_ = std::make_unique<BrokerCore>(options);
    next_batch_ = 1;
    committed_batch_ = 0;
    absl::StatusOr<Recovered> recovered = store_.Recover();
    SIM_EXPECT(recovered.ok(), "the store cannot recover");
    CheckRecovered(*recovered);
    committed_attempts_.clear();  // a new loop

    // The new broker knows what the store holds, no worker and no watcher;
    // jobs that were running wait for their workers until the liveness
    // window and grace are over.
    RollBack(Now() + kSilenceMaxMs + options_.lease_grace_ms);
    registered_.clear();
    registration_of_.clear();
    latest_registration_.clear();
    watchers_.clear();
    expect_removal_.clear();
    expected_cancels_.clear();
    expect_cancelled_.clear();
    step_release_ = Release{};
    Step(
        [&](Effects*) {
          core_->Restore(std::move(recovered->jobs), std::move(recovered->sentinels), Now());
        },
        [] {}, false);
    SweepChecks();

    // Every connection broke. A worker notices at once or, still talking,
    // when the new broker answers RECONNECT; some never come back.
    for (SimWorker& worker : workers_) {
      if (!worker.alive()) {
        continue;
      }
      if (!worker.broken && Chance(10)) {
        worker.crashed = true;
        Trace("crash ", worker.id, " with the broker");
        continue;
      }
      if (Chance(50)) {
        worker.link = Link::kDown;
        worker.hello_at_ms = Now() + static_cast<TimeMs>(Below(Chance(10) ? 12'000 : 1'000));
      }
    }
    for (SimClient& client : clients_) {
      if (!client.reconnect_at_ms) {
        client.reconnect_at_ms = Now() + static_cast<TimeMs>(Below(1000));
      }
    }
  }

  // The model's mirror of the core becomes what the committed batches
  // wrote, then what Restore makes of it.
  void RollBack(TimeMs orphan_until) {
    for (const auto& [id, sentinel] : sentinels_) {
      auto durable = durable_sentinels_.find(id);
      if (sentinel.fired && durable != durable_sentinels_.end() && !durable->second.fired) {
        ++coverage_.sentinels_refired;
      }
    }
    sentinels_ = durable_sentinels_;
    queues_.clear();
    for (const auto& [id, sentinel] : sentinels_) {
      QueueModel& queue = queues_[sentinel.queue];
      ++queue.sentinels;
      queue.fired += sentinel.fired ? 1 : 0;
    }
    jobs_.clear();
    tokens_.clear();
    keys_.clear();
    leases_.clear();
    for (const auto& [id, durable] : durable_jobs_) {
      JobModel& model = jobs_[id] = durable.model;
      tokens_[model.token] = id;
      if (!model.key.empty()) {
        keys_[model.key] = id;
      }
      if (durable.lease) {
        leases_[id] = Lease{durable.lease->worker, durable.lease->attempt, 0, orphan_until, true};
      } else if (!model.terminal) {
        // Queued or scheduled: its next attempt may have gone out in a
        // DISPATCH whose commit was lost; Restore skips that number.
        if (auto sent = attempts_sent_.find(id);
            sent != attempts_sent_.end() && sent->second > model.attempt) {
          ++coverage_.unrecorded_dispatches;
        }
        ++model.attempt;
      }
      QueueModel& queue = queues_[model.queue];
      if (queue.pending_by_epoch.size() <= model.epoch) {
        queue.pending_by_epoch.resize(model.epoch + 1);
      }
      if (!model.dispatched_or_done) {
        ++queue.pending_by_epoch[model.epoch];
      }
    }
  }

  void AdvanceTime(TimeMs delta_ms, bool faults) {
    // The writer finishes batches meanwhile; the loop lets out what waited.
    const TimeMs until_ms = Now() + delta_ms;
    while (in_flight_ && in_flight_->done_ms <= until_ms) {
      clock_.AdvanceMs(std::max<TimeMs>(0, in_flight_->done_ms - Now()));
      OnBatchCommitted();
    }
    clock_.AdvanceMs(until_ms - Now());
    Step([](Effects*) {}, [] {}, PlanCrash());
    for (size_t i = 0; i < workers_.size(); ++i) {
      WorkerTime(i, faults);
    }
    for (SimClient& client : clients_) {
      ClientTime(client);
    }
  }

  bool DeliverOne() {
    std::optional<Message> message = net_.TakeDue(Now());
    if (!message) {
      return false;
    }
    if (message->to_core) {
      DeliverToCore(*message);
    } else if (message->worker_link) {
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i].id == message->peer) {
          WorkerReceive(i, *message);
        }
      }
    } else {
      for (SimClient& client : clients_) {
        if (client.id == message->peer) {
          ClientReceive(client, *message);
        }
      }
    }
    return true;
  }

  void DeliverToCore(const Message& message) {
    Trace("-> core from ", message.peer, ": ", CommandName(message.command));
    const bool crash = PlanCrash();
    if (!message.worker_link) {
      BeforeClientMessage(message);
      Step(
          [&](Effects* effects) {
            core_->OnClientMessage(message.peer, message.command, message.body, Now(), effects);
          },
          [&] { AfterClientMessage(message); }, crash);
      return;
    }
    std::map<JobId, Prediction> predictions = BeforeWorkerMessage(message);
    Step(
        [&](Effects* effects) {
          core_->OnWorkerMessage(message.peer, message.command, message.body, Now(), effects);
        },
        [&] { AfterResults(message.peer, predictions); }, crash);
  }

  // ---- the model: what each step's input and effects mean.

  TimeMs LeaseExpiry(const JobModel& model, TimeMs now_ms) const {
    return now_ms + (model.timeout_ms > 0 ? model.timeout_ms : kSilenceMaxMs) +
           options_.lease_grace_ms;
  }

  void BeforeClientMessage(const Message& message) {
    if (message.command == Command::kWait) {
      wire::Wait wait;
      wait.ParseFromString(message.body);
      for (const std::string& raw : wait.ids()) {
        std::optional<JobId> id = JobId::FromBytes(raw);
        auto it = id ? jobs_.find(*id) : jobs_.end();
        if (it == jobs_.end()) {
          continue;  // answered unknown_job: OnOutcome fails
        }
        if (it->second.terminal) {
          ++step_release_.allowances[message.peer][*id];
        } else {
          watchers_[*id].insert(message.peer);
        }
      }
    } else if (message.command == Command::kCancel) {
      wire::Cancel cancel;
      cancel.ParseFromString(message.body);
      for (const std::string& raw : cancel.ids()) {
        std::optional<JobId> id = JobId::FromBytes(raw);
        auto it = id ? jobs_.find(*id) : jobs_.end();
        if (it == jobs_.end() || it->second.terminal) {
          continue;
        }
        auto lease = leases_.find(*id);
        if (lease == leases_.end()) {
          expect_cancelled_.push_back(*id);
        } else if (lease->second.orphan()) {
          // Its worker is away since a restart: nothing runs it that could
          // be told, so it ends now.
          EndLease(lease);
          expect_cancelled_.push_back(*id);
        } else if (!it->second.cancel_requested) {
          // It ends cancelled whatever its worker reports (but a success).
          it->second.cancel_requested = true;
          ++coverage_.cancels_while_running;
        }
      }
    }
  }

  void AfterClientMessage(const Message& message) {
    size_t sentinels_expected = 0;
    if (message.command == Command::kSubmit) {
      wire::Submit submit;
      submit.ParseFromString(message.body);
      sentinels_expected = AfterSubmit(message.peer, submit);
    } else if (message.command == Command::kSentinel) {
      wire::Sentinel sentinel;
      sentinel.ParseFromString(message.body);
      AddSentinelModel(sentinel.queue(), 0);
      sentinels_expected = 1;
    }
    SIM_EXPECT(effects_.sentinels_added.size() == sentinels_expected,
               std::to_string(effects_.sentinels_added.size()) + " sentinel(s) added by " +
                   CommandName(message.command) + ", expected " +
                   std::to_string(sentinels_expected));
    for (const JobId& id : expect_cancelled_) {
      const Job* job = core_->FindJob(id);
      SIM_EXPECT(job != nullptr && job->state == wire::JOB_STATE_CANCELLED,
                 "CANCEL of " + Hex(id) + ", not running, left it " +
                     (job ? wire::JobState_Name(job->state) : "unknown"));
    }
    expect_cancelled_.clear();
  }

  void AddSentinelModel(const std::string& queue_name, size_t added_index) {
    SIM_EXPECT(added_index < effects_.sentinels_added.size(),
               "a sentinel for " + queue_name + " was not added");
    const SentinelMark& mark = effects_.sentinels_added[added_index];
    SIM_EXPECT(mark.queue == queue_name, "sentinel for " + queue_name + " added to " + mark.queue);
    QueueModel& queue = queues_[queue_name];
    SIM_EXPECT(sentinels_.emplace(mark.id, SentinelModel{queue_name, queue.sentinels}).second,
               "sentinel id reused: " + Hex(mark.id));
    ++queue.sentinels;
  }

  // Registers the jobs the step created and checks the duplicates; returns
  // how many sentinels the step must have added.
  size_t AfterSubmit(const std::string& client, const wire::Submit& submit) {
    size_t sentinels = 0;
    for (const Outbound& out : effects_.outbound) {
      if (out.routing_id != client || out.command != Command::kSubmitted) {
        continue;
      }
      const auto& submitted = static_cast<const wire::Submitted&>(*out.body);
      for (const wire::SubmitAck& ack : submitted.acks()) {
        std::optional<JobId> id = JobId::FromBytes(ack.id());
        SIM_EXPECT(id.has_value(), "SUBMIT rejected: " + ack.error().message());
        const wire::JobSpec& spec =
            submit.jobs(static_cast<int>(ack.client_seq() - submit.first_seq()));
        if (ack.duplicate()) {
          ++coverage_.duplicate_acks;
          auto by_key =
              spec.idempotency_key().empty() ? keys_.end() : keys_.find(spec.idempotency_key());
          auto by_token = tokens_.find(spec.submit_token());
          SIM_EXPECT(by_key != keys_.end() || by_token != tokens_.end(),
                     "duplicate ack for client_seq " + std::to_string(ack.client_seq()) + " of " +
                         client + ", whose key and token no job has");
          SIM_EXPECT(
              by_key == keys_.end() || by_key->second == *id,
              "duplicate ack names " + Hex(*id) + ", the key's job is " + Hex(by_key->second));
          SIM_EXPECT(
              by_token == tokens_.end() || by_token->second == *id,
              "duplicate ack names " + Hex(*id) + ", the token's job is " + Hex(by_token->second));
          if (submit.notify()) {
            if (jobs_.at(*id).terminal) {
              ++step_release_.allowances[client][*id];
            } else {
              watchers_[*id].insert(client);
            }
          }
          continue;
        }
        SIM_EXPECT(!jobs_.count(*id), "job id reused: " + Hex(*id));
        SIM_EXPECT(!tokens_.count(spec.submit_token()), "a second job (" + Hex(*id) +
                                                            ") for the submit token of " +
                                                            Hex(tokens_[spec.submit_token()]));
        SIM_EXPECT(spec.idempotency_key().empty() || !keys_.count(spec.idempotency_key()),
                   "a second job (" + Hex(*id) + ") for idempotency key " + spec.idempotency_key());
        tokens_[spec.submit_token()] = *id;
        if (!spec.idempotency_key().empty()) {
          keys_[spec.idempotency_key()] = *id;
        }

        QueueModel& queue = queues_[spec.queue()];
        JobModel& model = jobs_[*id];
        model.queue = spec.queue();
        model.token = spec.submit_token();
        model.key = spec.idempotency_key();
        model.timeout_ms = spec.timeout_ms();
        auto defaults = options_.queue_defaults.find(spec.queue());
        const bool has_defaults = defaults != options_.queue_defaults.end();
        model.max_attempts = spec.max_attempts() > 0 ? spec.max_attempts()
                             : has_defaults && defaults->second.max_attempts > 0
                                 ? defaults->second.max_attempts
                                 : std::max<uint32_t>(1, options_.max_attempts);
        model.backoff_ms = spec.backoff_ms() > 0 ? spec.backoff_ms()
                           : has_defaults && defaults->second.backoff_ms > 0
                               ? defaults->second.backoff_ms
                               : options_.backoff_ms;
        const Job* job = core_->FindJob(*id);
        SIM_EXPECT(job != nullptr, "acknowledged job " + Hex(*id) + " unknown to the core");
        SIM_EXPECT(job->spec.max_attempts() == model.max_attempts &&
                       job->spec.backoff_ms() == model.backoff_ms,
                   "job " + Hex(*id) + " resolved to max_attempts " +
                       std::to_string(job->spec.max_attempts()) + ", backoff " +
                       std::to_string(job->spec.backoff_ms()) + "ms; expected " +
                       std::to_string(model.max_attempts) + ", " +
                       std::to_string(model.backoff_ms) + "ms");
        model.epoch = queue.sentinels;
        if (queue.pending_by_epoch.size() <= model.epoch) {
          queue.pending_by_epoch.resize(model.epoch + 1);
        }
        ++queue.pending_by_epoch[model.epoch];
        if (submit.notify()) {
          watchers_[*id].insert(client);
        }
        if (spec.sentinel()) {
          AddSentinelModel(spec.queue(), sentinels++);
        }
      }
    }
    return sentinels;
  }

  bool IsBroken(const std::string& worker) const {
    for (const SimWorker& sim : workers_) {
      if (sim.id == worker) {
        return sim.broken;
      }
    }
    return false;
  }

  // Decides, from the model alone, what the core must do with a worker's
  // message; returns what the results must do to their jobs.
  std::map<JobId, Prediction> BeforeWorkerMessage(const Message& message) {
    std::map<JobId, Prediction> predictions;
    const std::string& worker = message.peer;
    const bool registered = registered_.count(worker) > 0;
    if (registered && message.command != Command::kHello) {
      last_heard_ms_[worker] = Now();
    }
    switch (message.command) {
      case Command::kWorkerResult: {
        wire::WorkerResults results;
        // An unknown worker is told to reconnect; its results count for nothing.
        if (!registered || !results.ParseFromString(message.body)) {
          break;
        }
        const bool honest = !IsBroken(worker);
        for (const wire::JobResult& result : results.results()) {
          std::optional<JobId> id = JobId::FromBytes(result.id());
          auto found = id ? jobs_.find(*id) : jobs_.end();
          if (found == jobs_.end()) {
            continue;
          }
          JobModel& model = found->second;
          const uint32_t attempt = result.attempt();
          auto lease = leases_.find(*id);
          auto predicted = predictions.find(*id);
          const bool finished = model.terminal.has_value() || (predicted != predictions.end() &&
                                                               IsTerminal(predicted->second.want));
          if (lease != leases_.end() && lease->second.attempt == attempt &&
              (lease->second.orphan() || lease->second.worker == worker)) {
            // The holder's result, or an orphan's claimed by the worker
            // that reports its attempt.
            coverage_.orphans_adopted += lease->second.orphan() ? 1 : 0;
            EndLease(lease);
            if (honest) {
              SIM_EXPECT(model.honest_results.insert(attempt).second,
                         "a second result accepted for " + Hex(*id) + " attempt " +
                             std::to_string(attempt));
            }
            Prediction& prediction = predictions[*id];
            prediction.attempt = attempt;
            if (result.ok()) {
              prediction.want = wire::JOB_STATE_SUCCEEDED;
              continue;
            }
            if (result.error().type() == "worker_overloaded") {
              // Never ran: no failure, no attempt spent.
              prediction.want =
                  model.cancel_requested ? wire::JOB_STATE_CANCELLED : wire::JOB_STATE_QUEUED;
              prediction.refused = true;
              ++coverage_.refusals;
              continue;
            }
            ++model.failures;
            if (model.cancel_requested) {
              prediction.want = wire::JOB_STATE_CANCELLED;
              continue;
            }
            SIM_EXPECT(model.failures <= model.max_attempts,
                       "job " + Hex(*id) + " failed more often than max_attempts");
            const std::string& type = result.error().type();
            if (type == "bad_args" || type == "unknown_task" || model.max_attempts == 1) {
              prediction.want = wire::JOB_STATE_FAILED;
            } else if (model.failures >= model.max_attempts) {
              prediction.want = wire::JOB_STATE_DEAD;
            } else {
              prediction.want = wire::JOB_STATE_SCHEDULED;
              ++coverage_.retries;
              prediction.failures = model.failures;
            }
            continue;
          }
          // Not the running attempt: a success of an attempt the broker took
          // back finishes the job, if nothing else has.
          const bool running_attempt = lease != leases_.end() && lease->second.attempt == attempt;
          const bool taken_back = attempt >= 1 && attempt <= model.attempt && !running_attempt;
          if (!result.ok() || finished || !taken_back) {
            continue;
          }
          if (lease != leases_.end()) {
            expected_cancels_.insert({lease->second.worker, *id});
            EndLease(lease);
          }
          Trace("late success of ", Hex(*id), " attempt ", attempt);
          ++coverage_.late_successes;
          predictions[*id] = Prediction{wire::JOB_STATE_SUCCEEDED, attempt, 0};
        }
        break;
      }
      case Command::kHello: {
        wire::Hello hello;
        if (!hello.ParseFromString(message.body)) {
          break;
        }
        if (hello.instance() != 0) {
          const std::pair<uint64_t, uint64_t> number{hello.instance(), hello.registration()};
          if (registered && registration_of_[worker] == number) {
            // Re-sent before its WELCOME: answered, the registration kept.
            ++coverage_.repeated_hellos;
            last_heard_ms_[worker] = Now();
            break;
          }
          auto known = latest_registration_.find(hello.instance());
          if (known != latest_registration_.end() && hello.registration() <= known->second) {
            ++coverage_.overtaken_hellos;  // a number registers once: ignored
            break;
          }
          latest_registration_[hello.instance()] = hello.registration();
        }
        registration_of_[worker] = {hello.instance(), hello.registration()};
        std::set<std::pair<JobId, uint32_t>> held;
        for (const wire::HeldJob& job : hello.in_flight()) {
          if (auto id = JobId::FromBytes(job.id())) {
            held.insert({*id, job.attempt()});
          }
        }
        const uint64_t old_session = session_[worker];
        const uint64_t new_session = ++next_session_;
        for (auto& [id, lease] : leases_) {
          if (!held.count({id, lease.attempt})) {
            continue;
          }
          const bool kept = !lease.orphan() && registered && lease.worker == worker &&
                            lease.session == old_session;
          if (!lease.orphan() && !kept) {
            continue;
          }
          Trace(worker, lease.orphan() ? " adopts orphan " : " keeps ", Hex(id), " attempt ",
                lease.attempt);
          coverage_.orphans_adopted += lease.orphan() ? 1 : 0;
          // Still running there (or, an orphan, claimed): a fresh lease.
          lease.worker = worker;
          lease.session = new_session;
          lease.expires_ms = LeaseExpiry(jobs_.at(id), Now());
        }
        EndLeases(worker, new_session);
        session_[worker] = new_session;
        registered_.insert(worker);
        last_heard_ms_[worker] = Now();
        expect_removal_ = worker;  // the old registration ends
        break;
      }
      case Command::kWorkerHeartbeat: {
        wire::Heartbeat heartbeat;
        if (!registered || !heartbeat.ParseFromString(message.body)) {
          break;
        }
        for (const std::string& raw : heartbeat.holding()) {
          std::optional<JobId> id = JobId::FromBytes(raw);
          auto lease = id ? leases_.find(*id) : leases_.end();
          if (lease == leases_.end() || lease->second.orphan() || lease->second.worker != worker) {
            continue;
          }
          const JobModel& model = jobs_.at(*id);
          // A job with a timeout keeps the lease it got.
          if (model.timeout_ms <= 0) {
            lease->second.expires_ms = LeaseExpiry(model, Now());
          }
        }
        break;
      }
      case Command::kBye:
        if (registered) {
          EndLeases(worker, 0);
          registered_.erase(worker);
          expect_removal_ = worker;
        }
        break;
      default:
        break;
    }
    return predictions;
  }

  // The lease of a job restored as running ends, however it ends: the core
  // skips the number an unrecorded DISPATCH made before the crash may have used.
  std::map<JobId, Lease>::iterator EndLease(std::map<JobId, Lease>::iterator it) {
    if (it->second.restored) {
      JobModel& model = jobs_.at(it->first);
      if (auto sent = attempts_sent_.find(it->first);
          sent != attempts_sent_.end() && sent->second > model.attempt) {
        ++coverage_.unrecorded_dispatches;
      }
      ++model.attempt;
    }
    return leases_.erase(it);
  }

  // Ends the leases of `worker` in sessions other than `keep_session`.
  // Orphans belong to no session: only their expiry or a claim ends them.
  void EndLeases(const std::string& worker, uint64_t keep_session) {
    for (auto it = leases_.begin(); it != leases_.end();) {
      if (!it->second.orphan() && it->second.worker == worker &&
          it->second.session != keep_session) {
        it = EndLease(it);
      } else {
        ++it;
      }
    }
  }

  // The first retry waits between half the base and the base, each later
  // one twice as long, capped (BrokerCore::BackoffFor: "equal jitter").
  TimeMs RetryDelayMs(const JobModel& model, uint32_t failures) const {
    const TimeMs base = std::max<TimeMs>(1, model.backoff_ms);
    const uint32_t doublings = std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 40);
    return std::min<TimeMs>(options_.backoff_max_ms, base << doublings);
  }

  void AfterResults(const std::string& worker, const std::map<JobId, Prediction>& predictions) {
    for (const auto& [id, prediction] : predictions) {
      JobModel& model = jobs_.at(id);
      const Job* job = core_->FindJob(id);
      SIM_EXPECT(job != nullptr, "job vanished after its result: " + Hex(id));
      bool ok = job->state == prediction.want;
      if (prediction.refused && prediction.want == wire::JOB_STATE_QUEUED) {
        // Pumped in the same step, it may be running again already.
        ok = ok || (job->state == wire::JOB_STATE_RUNNING && job->attempt > prediction.attempt);
      }
      if (prediction.want == wire::JOB_STATE_SCHEDULED) {
        const TimeMs delay = RetryDelayMs(model, prediction.failures);
        const TimeMs wait = job->scheduled_ms - Now();
        SIM_EXPECT(wait >= delay / 2 && wait <= delay,
                   "retry of " + Hex(id) + " after failure " + std::to_string(prediction.failures) +
                       " waits " + std::to_string(wait) + "ms, outside [" +
                       std::to_string(delay / 2) + ", " + std::to_string(delay) + "]");
        // A backoff that rounds to nothing is over at once.
        ok = ok || (wait == 0 &&
                    (job->state == wire::JOB_STATE_QUEUED ||
                     (job->state == wire::JOB_STATE_RUNNING && job->attempt > prediction.attempt)));
        model.not_before_ms = job->scheduled_ms;
      }
      SIM_EXPECT(ok, "result from " + worker + " for " + Hex(id) + " attempt " +
                         std::to_string(prediction.attempt) + " left the job " +
                         wire::JobState_Name(job->state) + ", expected " +
                         wire::JobState_Name(prediction.want));
    }
  }

  void OnDispatched(const JobId& id, const std::string& worker, uint32_t attempt) {
    auto found = jobs_.find(id);
    SIM_EXPECT(found != jobs_.end(), "DISPATCH of a job never acknowledged: " + Hex(id));
    JobModel& model = found->second;
    SIM_EXPECT(!model.terminal, "finished job " + Hex(id) + " dispatched again");
    SIM_EXPECT(attempt == model.attempt + 1,
               "DISPATCH of " + Hex(id) + " as attempt " + std::to_string(attempt) +
                   "; the model has it at " + std::to_string(model.attempt));
    model.attempt = attempt;
    if (auto old = leases_.find(id); old != leases_.end()) {
      Fail("job " + Hex(id) + " dispatched to " + worker + " (attempt " + std::to_string(attempt) +
           ") while still leased to " + old->second.worker +
           (old->second.orphan() ? " (an orphan)" : "") + " (attempt " +
           std::to_string(old->second.attempt) + ")");
    }
    SIM_EXPECT(registered_.count(worker) > 0, "dispatch to unregistered " + worker);
    SIM_EXPECT(Now() >= model.not_before_ms, "retry of " + Hex(id) + " dispatched " +
                                                 std::to_string(model.not_before_ms - Now()) +
                                                 "ms before its backoff ended");
    Trace("dispatch ", Hex(id), " attempt ", attempt, " to ", worker);
    Lease& lease = leases_[id];
    lease = Lease{worker, attempt, session_[worker], LeaseExpiry(model, Now())};
    QueueModel& queue = queues_[model.queue];
    for (size_t e = 0; e < model.epoch; ++e) {
      SIM_EXPECT(queue.pending_by_epoch[e] == 0,
                 "sentinel order: " + Hex(id) + " (behind sentinel " + std::to_string(model.epoch) +
                     " of " + model.queue + ") dispatched while " +
                     std::to_string(queue.pending_by_epoch[e]) + " job(s) ahead of sentinel " +
                     std::to_string(e + 1) + " were never dispatched");
    }
    MarkDispatchedOrDone(model);
  }

  void MarkDispatchedOrDone(JobModel& model) {
    if (model.dispatched_or_done) {
      return;
    }
    model.dispatched_or_done = true;
    --queues_[model.queue].pending_by_epoch[model.epoch];
  }

  void OnOutcome(const std::string& client, const wire::JobOutcome& outcome) {
    std::optional<JobId> id = JobId::FromBytes(outcome.id());
    SIM_EXPECT(id.has_value(), "outcome without a job id");
    auto found = jobs_.find(*id);
    SIM_EXPECT(found != jobs_.end(), "outcome for a job never acknowledged: " + Hex(*id));
    JobModel& model = found->second;
    SIM_EXPECT(IsTerminal(outcome.state()),
               "outcome for " + Hex(*id) + " in state " + wire::JobState_Name(outcome.state()) +
                   " (" + outcome.error().type() + ": " + outcome.error().message() + ")");
    SIM_EXPECT(model.terminal.has_value(), "outcome " + wire::JobState_Name(outcome.state()) +
                                               " for " + Hex(*id) + ", not finished");
    SIM_EXPECT(*model.terminal == outcome.state(),
               "job " + Hex(*id) + " reported " + wire::JobState_Name(outcome.state()) + " after " +
                   wire::JobState_Name(*model.terminal));
    auto durable = durable_jobs_.find(*id);
    SIM_EXPECT(durable != durable_jobs_.end() && durable->second.model.terminal == model.terminal,
               "outcome " + wire::JobState_Name(outcome.state()) + " for " + Hex(*id) +
                   " left before that state was committed");
    const std::pair<std::string, JobId> key{client, *id};
    const int count = ++outcomes_sent_[key];
    SIM_EXPECT(count <= allowed_outcomes_[key], "client " + client + " got " +
                                                    std::to_string(count) + " outcomes for " +
                                                    Hex(*id) + ", more than it asked for");
  }

  void SetTerminal(const JobId& id, JobModel& model, wire::JobState state) {
    SIM_EXPECT(!leases_.count(id), "job " + Hex(id) + " became " + wire::JobState_Name(state) +
                                       " while leased to " + leases_.at(id).worker +
                                       " with no result from it");
    model.terminal = state;
    // Every watcher registered now gets its outcome.
    if (auto watchers = watchers_.find(id); watchers != watchers_.end()) {
      for (const std::string& client : watchers->second) {
        ++step_release_.allowances[client][id];
      }
      watchers_.erase(watchers);
    }
    MarkDispatchedOrDone(model);
  }

  // What the step's effects mean; the loop decides when its messages leave.
  void AfterStep() {
    // Sessions the core ended: BYE, HELLO again, or missed heartbeats.
    for (auto it = registered_.begin(); it != registered_.end();) {
      if (core_->FindWorkerByName(*it) != nullptr) {
        ++it;
        continue;
      }
      const TimeMs silent_ms = Now() - last_heard_ms_[*it];
      SIM_EXPECT(expect_removal_ == *it || silent_ms > kSilenceMaxMs,
                 "worker " + *it + " declared dead after only " + std::to_string(silent_ms) +
                     "ms of silence");
      Trace("core forgot ", *it);
      EndLeases(*it, ~uint64_t{0});
      it = registered_.erase(it);
    }
    expect_removal_.clear();

    SyncLeases();
    // Dispatches (outcomes and acknowledgements count once they leave).
    std::set<std::pair<std::string, JobId>> cancels_sent;
    for (const Outbound& out : effects_.outbound) {
      if (out.command == Command::kDispatch) {
        const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
        for (const wire::DispatchedJob& job : dispatch.jobs()) {
          std::optional<JobId> id = JobId::FromBytes(job.id());
          SIM_EXPECT(id.has_value(), "DISPATCH with a bad id");
          OnDispatched(*id, out.routing_id, job.attempt());
        }
      } else if (out.command == Command::kWorkerCancel) {
        const auto& cancel = static_cast<const wire::Cancel&>(*out.body);
        for (const std::string& raw : cancel.ids()) {
          if (auto id = JobId::FromBytes(raw)) {
            cancels_sent.insert({out.routing_id, *id});
          }
        }
      } else if (out.command == Command::kError && out.socket == Socket::kFrontend) {
        const auto& error = static_cast<const wire::Error&>(*out.body);
        Fail("ERROR to client " + out.routing_id + ": " + error.text());
      }
    }
    // Jobs whose state changed this step: terminal ones are recorded.
    for (const JobId& id : effects_.changed_jobs) {
      CheckJob(id);
    }
    for (const auto& [worker, id] : expected_cancels_) {
      SIM_EXPECT(cancels_sent.count({worker, id}),
                 "lease of " + Hex(id) + " taken from " + worker + " without a CANCEL to it");
    }
    expected_cancels_.clear();

    CheckSentinels();
    SIM_EXPECT(effects_.erased_jobs.empty(), "a job was erased within its result TTL");
    if (steps_ % 64 == 0) {
      SweepChecks();
    }
  }

  // Leases the core ended on its own must have expired; the others must
  // agree with the model's, expiry included.
  void SyncLeases() {
    for (auto it = leases_.begin(); it != leases_.end();) {
      const JobId& id = it->first;
      const Lease& lease = it->second;
      const Job* job = core_->FindJob(id);
      SIM_EXPECT(job != nullptr, "leased job lost: " + Hex(id));
      if (job->state == wire::JOB_STATE_RUNNING && job->attempt == lease.attempt &&
          job->leased_to == lease.worker) {
        SIM_EXPECT(job->lease_expires_ms == lease.expires_ms,
                   "lease of " + Hex(id) + " on " + lease.worker + " expires at +" +
                       std::to_string(job->lease_expires_ms - start_ms_) + "ms, expected +" +
                       std::to_string(lease.expires_ms - start_ms_) + "ms");
        SIM_EXPECT(Now() <= lease.expires_ms + kExpiryLatenessMaxMs,
                   "lease of " + Hex(id) + " on " + lease.worker + " expired " +
                       std::to_string(Now() - lease.expires_ms) + "ms ago and is still held");
        ++it;
        continue;
      }
      SIM_EXPECT(Now() >= lease.expires_ms,
                 "lease of " + Hex(id) + " (attempt " + std::to_string(lease.attempt) + " on " +
                     lease.worker + (lease.orphan() ? ", an orphan" : "") + ") taken back " +
                     std::to_string(lease.expires_ms - Now()) +
                     "ms before it expired; the job is " + wire::JobState_Name(job->state) +
                     " attempt " + std::to_string(job->attempt) + " on '" + job->leased_to + "'");
      Trace("lease of ", Hex(id), " on ", lease.worker, " expired");
      ++(lease.orphan() ? coverage_.orphans_requeued : coverage_.leases_expired);
      if (!lease.orphan()) {
        expected_cancels_.insert({lease.worker, id});
      }
      it = EndLease(it);
    }
  }

  void CheckSentinels() {
    for (const SentinelMark& mark : effects_.sentinels_added) {
      SIM_EXPECT(sentinels_.count(mark.id), "a sentinel nobody asked for in " + mark.queue);
    }
    for (const JobId& id : effects_.sentinels_removed) {
      auto found = sentinels_.find(id);
      SIM_EXPECT(found != sentinels_.end() && !found->second.fired,
                 "an unknown or fired sentinel fired: " + Hex(id));
      SentinelModel& sentinel = found->second;
      QueueModel& queue = queues_[sentinel.queue];
      SIM_EXPECT(sentinel.index == queue.fired,
                 "sentinel " + std::to_string(sentinel.index + 1) + " of " + sentinel.queue +
                     " fired before sentinel " + std::to_string(queue.fired + 1));
      for (size_t e = 0; e <= sentinel.index && e < queue.pending_by_epoch.size(); ++e) {
        SIM_EXPECT(queue.pending_by_epoch[e] == 0,
                   "sentinel " + std::to_string(sentinel.index + 1) + " of " + sentinel.queue +
                       " fired while " + std::to_string(queue.pending_by_epoch[e]) +
                       " job(s) ahead of it were never dispatched");
      }
      sentinel.fired = true;
      ++queue.fired;
      // The SENTINELs the step sends to the queue's workers are its firing.
      step_release_.fired[sentinel.queue].push_back(id);
    }
  }

  void CheckJob(const JobId& id) {
    auto found = jobs_.find(id);
    SIM_EXPECT(found != jobs_.end(), "the core changed " + Hex(id) + ", a job it never accepted");
    JobModel& model = found->second;
    const Job* job = core_->FindJob(id);
    SIM_EXPECT(job != nullptr, "job lost: " + Hex(id));
    if (model.terminal) {
      SIM_EXPECT(job->state == *model.terminal, "job " + Hex(id) + " left terminal state " +
                                                    wire::JobState_Name(*model.terminal) + " for " +
                                                    wire::JobState_Name(job->state));
    } else if (IsTerminal(job->state)) {
      SetTerminal(id, model, job->state);
    }
    SIM_EXPECT(job->failures == model.failures, "core counts " + std::to_string(job->failures) +
                                                    " failures of " + Hex(id) + ", the model " +
                                                    std::to_string(model.failures));
    SIM_EXPECT(job->attempt == model.attempt, "core has " + Hex(id) + " " +
                                                  wire::JobState_Name(job->state) + " at attempt " +
                                                  std::to_string(job->attempt) + ", the model at " +
                                                  std::to_string(model.attempt));
  }

  void SweepChecks() {
    for (const auto& [id, model] : jobs_) {
      CheckJob(id);
    }
    for (const SimClient& client : clients_) {
      for (const JobId& id : client.known) {
        SIM_EXPECT(core_->FindJob(id) != nullptr, "acknowledged job lost: " + Hex(id));
      }
    }
    SyncLeases();
    for (const auto& [id, model] : jobs_) {
      const Job* job = core_->FindJob(id);
      if (job->state == wire::JOB_STATE_RUNNING) {
        SIM_EXPECT(leases_.count(id) > 0,
                   "core has " + Hex(id) + " running on " + job->leased_to + " without a lease");
      }
    }
  }

  // The store after a crash: exactly the jobs of the committed batches, as
  // the model had them, and their sentinels that have not fired.
  void CheckRecovered(const Recovered& recovered) {
    std::map<JobId, const Job*> stored;
    std::map<std::string, int> per_token;
    std::map<std::string, int> per_key;
    for (const Job& job : recovered.jobs) {
      SIM_EXPECT(stored.emplace(job.id, &job).second, "the store holds " + Hex(job.id) + " twice");
      SIM_EXPECT(durable_jobs_.count(job.id),
                 "the store holds " + Hex(job.id) + ", no committed batch wrote it");
      SIM_EXPECT(++per_token[job.spec.submit_token()] == 1,
                 "the store holds two jobs for one submit token, " + Hex(job.id) + " one of them");
      if (!job.spec.idempotency_key().empty()) {
        SIM_EXPECT(++per_key[job.spec.idempotency_key()] == 1,
                   "the store holds two jobs for key " + job.spec.idempotency_key());
      }
    }
    for (const auto& [id, durable] : durable_jobs_) {
      auto found = stored.find(id);
      SIM_EXPECT(found != stored.end(), "committed job missing from the store: " + Hex(id));
      CheckStored(*found->second, durable, "the store has ");
    }
    std::map<JobId, std::string> unfired;
    for (const auto& [id, sentinel] : durable_sentinels_) {
      if (!sentinel.fired) {
        unfired[id] = sentinel.queue;
      }
    }
    std::map<JobId, std::string> stored_sentinels;
    for (const SentinelMark& mark : recovered.sentinels) {
      stored_sentinels[mark.id] = mark.queue;
    }
    SIM_EXPECT(stored_sentinels == unfired,
               "the store holds " + std::to_string(stored_sentinels.size()) +
                   " sentinel(s), the model expects " + std::to_string(unfired.size()));
  }

  // A job as a batch writes it or the store has it, against the model.
  void CheckStored(const Job& job, const DurableJob& durable, const std::string& where) {
    const JobId& id = job.id;
    const JobModel& model = durable.model;
    SIM_EXPECT(job.spec.submit_token() == model.token && job.spec.idempotency_key() == model.key,
               where + Hex(id) + " under another submit token or key");
    SIM_EXPECT(job.attempt == model.attempt && job.failures == model.failures,
               where + Hex(id) + " at attempt " + std::to_string(job.attempt) + " with " +
                   std::to_string(job.failures) + " failures; the model at " +
                   std::to_string(model.attempt) + " with " + std::to_string(model.failures));
    SIM_EXPECT(model.terminal ? job.state == *model.terminal : !IsTerminal(job.state),
               where + Hex(id) + " " + wire::JobState_Name(job.state) + ", the model " +
                   (model.terminal ? wire::JobState_Name(*model.terminal) : "unfinished"));
    SIM_EXPECT(job.cancel_requested == model.cancel_requested,
               where + Hex(id) + (job.cancel_requested ? " cancelled" : " not cancelled") +
                   " while it ran; the model " + (model.cancel_requested ? "yes" : "no"));
    const std::optional<Lease>& lease = durable.lease;
    SIM_EXPECT((job.state == wire::JOB_STATE_RUNNING) == lease.has_value(),
               where + Hex(id) + " " + wire::JobState_Name(job.state) +
                   (lease ? ", the model a lease on " + lease->worker : ", the model no lease"));
    if (lease) {
      SIM_EXPECT(job.leased_to == lease->worker && job.attempt == lease->attempt,
                 where + Hex(id) + " leased to " + job.leased_to + " (attempt " +
                     std::to_string(job.attempt) + "), the model to " + lease->worker +
                     " (attempt " + std::to_string(lease->attempt) + ")");
    }
  }

  // ---- network plumbing

  void SendFromCore(Message message) {
    const std::string peer = message.peer;
    const bool worker_link = message.worker_link;
    if (!net_.Send(std::move(message), Now())) {
      LinkBroke(peer, worker_link);
    }
  }

  void SendToCore(SimWorker& worker, Message message) {
    message.to_core = true;
    message.worker_link = true;
    message.peer = worker.id;
    if (Now() < worker.silent_until_ms) {
      worker.outbox.push_back(std::move(message));
      return;
    }
    if (!net_.Send(std::move(message), Now())) {
      LinkBroke(worker.id, true);
    }
  }

  void ClientSend(SimClient& client, Message message) {
    message.to_core = true;
    message.worker_link = false;
    message.peer = client.id;
    if (!net_.Send(std::move(message), Now())) {
      LinkBroke(client.id, false);
    }
  }

  template <typename Body>
  static Message MakeMessage(const std::string& peer, Command command, const Body& body) {
    Message message;
    message.peer = peer;
    message.command = command;
    message.body = body.SerializeAsString();
    return message;
  }

  // A lost message = a broken connection: the peer reconnects a little later.
  void LinkBroke(const std::string& peer, bool worker_link) {
    if (worker_link) {
      for (SimWorker& worker : workers_) {
        if (worker.id == peer && worker.alive() && worker.link != Link::kDown) {
          worker.link = Link::kDown;
          worker.hello_at_ms = Now() + static_cast<TimeMs>(Below(500));
          Trace("link of ", peer, " broke");
        }
      }
      return;
    }
    for (SimClient& client : clients_) {
      if (client.id == peer && !client.reconnect_at_ms) {
        client.reconnect_at_ms = Now() + static_cast<TimeMs>(Below(500));
        Trace("link of ", peer, " broke");
      }
    }
  }

  // ---- workers

  void SpawnWorker(std::optional<std::string> queue) {
    SimWorker worker;
    worker.id = "w" + std::to_string(workers_.size());
    worker.capacity = 1 + static_cast<uint32_t>(Below(4));
    worker.lossy = Chance(15);
    worker.instance = rng_() | 1;
    if (queue) {
      worker.queues = {*queue};
    } else {
      for (const std::string& name : kQueues) {
        if (Chance(50)) {
          worker.queues.push_back(name);
        }
      }
      if (worker.queues.empty()) {
        worker.queues.push_back(kQueues[Below(kQueues.size())]);
      }
    }
    worker.next_heartbeat_ms = Now() + kHeartbeatMs - static_cast<TimeMs>(Below(200));
    workers_.push_back(std::move(worker));
    Trace("spawn ", workers_.back().id, workers_.back().lossy ? " (lossy)" : "");
    SendHello(workers_.back(), /*new_registration=*/true);
  }

  // Lists what it runs and what it finished but did not report, as the
  // real worker's BuildHello does. A new registration takes the next
  // number and counts the finished jobs it lists as freed (their slots come
  // back with the first CREDIT); a HELLO re-sent for want of a WELCOME keeps
  // both.
  void SendHello(SimWorker& worker, bool new_registration) {
    if (new_registration) {
      ++worker.registration;
      worker.freed_total = worker.unsent.size();
      worker.refused_slots = 0;  // a new registration counts them free at once
    }
    wire::Hello hello;
    hello.set_name(worker.id);
    hello.set_host("sim");
    hello.set_instance(worker.instance);
    hello.set_registration(worker.registration);
    wire::PoolCapacity& pool = *hello.add_pools();
    pool.set_kind(wire::KIND_IO);
    pool.set_capacity(worker.capacity);
    for (const std::string& queue : worker.queues) {
      hello.add_queues(queue);
    }
    for (const auto& [key, job] : worker.held) {
      wire::HeldJob& held = *hello.add_in_flight();
      held.set_id(std::string(key.first.Bytes()));
      held.set_attempt(key.second);
      held.set_kind(wire::KIND_IO);
    }
    for (const wire::JobResult& result : worker.unsent) {
      wire::HeldJob& held = *hello.add_in_flight();
      held.set_id(result.id());
      held.set_attempt(result.attempt());
      held.set_kind(wire::KIND_IO);
    }
    worker.link = Link::kHelloSent;
    worker.hello_at_ms = Now() + kHelloResendMs;
    Trace(worker.id, new_registration ? " registers as " : " re-sends HELLO ", worker.registration,
          " listing ", hello.in_flight_size(), " job(s)");
    SendToCore(worker, MakeMessage(worker.id, Command::kHello, hello));
  }

  // `freed`: whether slots were freed since the last CREDIT, which then
  // carries the registration's running total.
  void RegisterAgain(SimWorker& worker, const char* what) {
    Trace(worker.id, " got ", what, " of another broker process: registers anew");
    SendHello(worker, /*new_registration=*/true);
  }

  void SendResults(SimWorker& worker, const wire::WorkerResults& results, bool freed) {
    if (results.results_size() > 0) {
      SendToCore(worker, MakeMessage(worker.id, Command::kWorkerResult, results));
    }
    if (freed && !worker.queues.empty()) {
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_freed_total(worker.freed_total);
      credit.set_registration(worker.registration);
      SendToCore(worker, MakeMessage(worker.id, Command::kCredit, credit));
    }
  }

  void WorkerReceive(size_t index, const Message& message) {
    SimWorker& worker = workers_[index];
    if (!worker.alive()) {
      return;
    }
    switch (message.command) {
      case Command::kWelcome: {
        wire::Welcome welcome;
        welcome.ParseFromString(message.body);
        if (welcome.registration() != worker.registration) {
          break;  // an old HELLO's answer
        }
        if (worker.link == Link::kUp) {
          // A repeated answer, or another broker process that took a copy
          // of that HELLO: then the worker registers anew.
          if (welcome.broker() != worker.broker) {
            RegisterAgain(worker, "a WELCOME");
          }
          break;
        }
        if (worker.link != Link::kHelloSent) {
          break;
        }
        worker.link = Link::kUp;
        worker.broker = welcome.broker();
        Trace(worker.id, " registered as ", worker.registration);
        if (worker.unsent.empty()) {
          break;
        }
        wire::WorkerResults results;
        for (wire::JobResult& result : worker.unsent) {
          *results.add_results() = std::move(result);
        }
        worker.unsent.clear();
        SendResults(worker, results, /*freed=*/true);
        break;
      }
      case Command::kDispatch: {
        wire::Dispatch dispatch;
        dispatch.ParseFromString(message.body);
        if (worker.link != Link::kUp || dispatch.registration() != worker.registration ||
            dispatch.broker() != worker.broker) {
          // Taken back by the HELLO that replaced that registration (or
          // leased before the WELCOME that says by which broker process).
          Trace(worker.id, " drops a DISPATCH of registration ", dispatch.registration(), " (now ",
                worker.registration, ")");
          ++coverage_.stale_dispatches;
          if (worker.link == Link::kUp && dispatch.registration() == worker.registration) {
            RegisterAgain(worker, "a DISPATCH");
          }
          break;
        }
        for (const wire::DispatchedJob& job : dispatch.jobs()) {
          auto id = JobId::FromBytes(job.id());
          if (!id || !worker.seen.insert({*id, job.attempt()}).second) {
            continue;  // duplicate
          }
          // The credit invariant: never more jobs out to a worker than it
          // granted, across reconnects, restarts and repeated HELLOs.
          SIM_EXPECT(worker.broken || worker.held.size() < worker.capacity,
                     "the broker sent " + worker.id + " " + Hex(*id) + " while it runs " +
                         std::to_string(worker.held.size()) + " job(s), its capacity");
          // Attempts are never reused, not even by a broker that restarted
          // before the commit that recorded this DISPATCH: it skips the
          // numbers an unrecorded DISPATCH may have used.
          auto [holder, first] = attempt_holders_.emplace(std::pair{*id, job.attempt()}, worker.id);
          SIM_EXPECT(first, "attempt " + std::to_string(job.attempt()) + " of " + Hex(*id) +
                                " reached " + holder->second + " and " + worker.id);
          HeldJob held;
          const TimeMs run_ms = 1 + static_cast<TimeMs>(Below(Chance(10) ? 5000 : 800));
          if (crashes_ && Chance(2)) {
            // Its pool is full (threads held by tasks past their timeout):
            // refused at once, the slot not credited back.
            held.finish_ms = Now();
            held.ok = false;
            held.error_type = "worker_overloaded";
            held.refused = true;
          } else if (job.timeout_ms() > 0 && run_ms > job.timeout_ms()) {
            // The worker stops it at its timeout and reports that.
            held.finish_ms = Now() + job.timeout_ms();
            held.ok = false;
            held.error_type = "timeout";
          } else {
            held.finish_ms = Now() + run_ms;
            uint64_t r = Below(100);
            held.ok = r < 78;
            held.error_type = r < 78 ? "" : (r < 92 ? "exception" : "bad_args");
          }
          worker.held[{*id, job.attempt()}] = held;
        }
        break;
      }
      case Command::kWorkerCancel: {
        wire::Cancel cancel;
        cancel.ParseFromString(message.body);
        for (const std::string& raw : cancel.ids()) {
          auto id = JobId::FromBytes(raw);
          if (!id) {
            continue;
          }
          for (auto& [key, held] : worker.held) {
            if (key.first == *id) {
              held.ok = false;
              held.error_type = "cancelled";
              held.finish_ms = std::min(held.finish_ms, Now() + static_cast<TimeMs>(Below(50)));
            }
          }
        }
        break;
      }
      case Command::kWorkerSentinel: {
        wire::Sentinel sentinel;
        sentinel.ParseFromString(message.body);
        std::erase(worker.queues, sentinel.queue());
        if (worker.queues.empty()) {
          worker.draining = true;
        }
        break;
      }
      case Command::kReconnect:
        // An answer to something sent before the HELLO on its way: that
        // HELLO registers the worker.
        if (worker.link == Link::kHelloSent) {
          break;
        }
        SendHello(worker, /*new_registration=*/true);
        break;
      default:
        break;  // HEARTBEAT, ERROR
    }
  }

  // Time passed: finish jobs, heartbeat, reconnect, leave, and (with faults)
  // crash, stall, drain, or misbehave.
  void WorkerTime(size_t index, bool faults) {
    SimWorker& worker = workers_[index];
    if (!worker.alive()) {
      return;
    }
    if (faults && !worker.broken) {
      uint64_t r = Below(1000);
      if (r < 2) {
        worker.crashed = true;
        Trace("crash ", worker.id);
        return;
      }
      if (r < 5 && Now() >= worker.silent_until_ms) {
        worker.silent_until_ms = Now() + kSilenceMaxMs + 500 + static_cast<TimeMs>(Below(4000));
        Trace("stall ", worker.id);
      } else if (r < 7) {
        Trace("bye ", worker.id, " holding ", worker.held.size());
        SendToCore(worker, MakeMessage(worker.id, Command::kBye, wire::Empty()));
        worker.gone = true;
        return;
      } else if (r < 9 && !worker.draining) {
        worker.draining = true;
        worker.queues.clear();
        wire::Heartbeat heartbeat;
        heartbeat.set_draining(true);
        SendToCore(worker, MakeMessage(worker.id, Command::kWorkerHeartbeat, heartbeat));
      }
    }
    if (Now() >= worker.silent_until_ms && !worker.outbox.empty()) {
      std::vector<Message> outbox = std::move(worker.outbox);
      worker.outbox.clear();
      for (Message& message : outbox) {
        SendToCore(worker, std::move(message));
      }
    }
    if (worker.link != Link::kUp && Now() >= worker.hello_at_ms) {
      SendHello(worker, /*new_registration=*/worker.link == Link::kDown);
    }
    if (faults && worker.broken) {
      Misbehave(worker);
    }

    wire::WorkerResults results;
    bool freed = false;
    for (auto it = worker.held.begin(); it != worker.held.end();) {
      if (it->second.finish_ms > Now()) {
        ++it;
        continue;
      }
      const JobId id = it->first.first;
      wire::JobResult result;
      result.set_id(std::string(id.Bytes()));
      result.set_attempt(it->first.second);
      result.set_ok(it->second.ok);
      if (it->second.ok) {
        result.set_result("42");
      } else {
        result.mutable_error()->set_type(it->second.error_type);
        result.mutable_error()->set_message("sim");
      }
      const bool refused = it->second.refused;
      it = worker.held.erase(it);
      ++(refused ? worker.refused_slots : worker.freed_total);
      if (worker.link != Link::kUp) {
        worker.unsent.push_back(std::move(result));  // reported after WELCOME
        continue;
      }
      freed = true;
      if (faults && worker.lossy && Chance(15)) {
        // Gone without a trace, the connection up: only the lease's
        // expiry gives the job back.
        Trace(worker.id, " loses its result for ", Hex(id));
        ++coverage_.results_lost;
        continue;
      }
      *results.add_results() = std::move(result);
    }
    if (Now() >= worker.next_heartbeat_ms && worker.refused_slots > 0) {
      // A pool that was full has had a heartbeat's time to drain.
      worker.freed_total += worker.refused_slots;
      worker.refused_slots = 0;
      freed = true;
    }
    SendResults(worker, results, freed);
    if (Now() >= worker.next_heartbeat_ms) {
      worker.next_heartbeat_ms = Now() + kHeartbeatMs - static_cast<TimeMs>(Below(100));
      if (worker.link == Link::kUp && Now() >= worker.silent_until_ms) {
        wire::Heartbeat heartbeat;
        heartbeat.set_draining(worker.draining);
        for (const auto& [key, held] : worker.held) {
          heartbeat.add_holding(std::string(key.first.Bytes()));
        }
        SendToCore(worker, MakeMessage(worker.id, Command::kWorkerHeartbeat, heartbeat));
      }
    }
    if (worker.draining && worker.held.empty() && worker.unsent.empty() && worker.outbox.empty()) {
      Trace("drained ", worker.id);
      SendToCore(worker, MakeMessage(worker.id, Command::kBye, wire::Empty()));
      worker.gone = true;
    }
  }

  // A worker that breaks the protocol on purpose.
  void Misbehave(SimWorker& worker) {
    uint64_t r = Below(100);
    if (r < 5) {
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_freed_total(1000 + Below(1000));
      credit.set_registration(worker.registration);
      SendToCore(worker, MakeMessage(worker.id, Command::kCredit, credit));
    } else if (r < 10 && !jobs_.empty()) {
      // A result for some job it may well not hold.
      auto it = jobs_.begin();
      std::advance(it, static_cast<long>(Below(std::min<size_t>(jobs_.size(), 64))));
      wire::WorkerResults results;
      wire::JobResult& result = *results.add_results();
      result.set_id(std::string(it->first.Bytes()));
      result.set_attempt(static_cast<uint32_t>(Below(4)));
      result.set_ok(Chance(50));
      SendToCore(worker, MakeMessage(worker.id, Command::kWorkerResult, results));
    } else if (r < 13) {
      Message message;
      message.command = Chance(50) ? Command::kCredit : Command::kWorkerResult;
      message.body = std::string("\xff\xff\xff\x01garbage", 11);
      SendToCore(worker, std::move(message));
    } else if (r < 15 && !jobs_.empty()) {
      // HELLO claiming a job it never got.
      auto it = jobs_.begin();
      std::advance(it, static_cast<long>(Below(std::min<size_t>(jobs_.size(), 64))));
      wire::Hello hello;
      hello.set_name(worker.id);
      wire::PoolCapacity& pool = *hello.add_pools();
      pool.set_kind(wire::KIND_IO);
      pool.set_capacity(worker.capacity);
      for (const std::string& queue : worker.queues) {
        hello.add_queues(queue);
      }
      wire::HeldJob& held = *hello.add_in_flight();
      held.set_id(std::string(it->first.Bytes()));
      held.set_attempt(it->second.attempt);
      SendToCore(worker, MakeMessage(worker.id, Command::kHello, hello));
    }
  }

  // ---- clients

  void ClientAct(SimClient& client) {
    uint64_t r = Below(100);
    if (r < 60) {
      wire::Submit submit;
      submit.set_first_seq(client.next_seq);
      submit.set_notify(Chance(50));
      const int count = 1 + static_cast<int>(Below(4));
      for (int i = 0; i < count; ++i) {
        const uint64_t seq = client.next_seq++;
        wire::JobSpec& spec = *submit.add_jobs();
        spec.set_task("t");
        spec.set_queue(kQueues[Below(kQueues.size())]);
        spec.set_priority(static_cast<int32_t>(Below(5)) - 2);
        spec.set_max_attempts(static_cast<uint32_t>(Below(4)));
        spec.set_sentinel(Chance(2));
        if (Chance(20)) {
          spec.set_timeout_ms(50 + static_cast<int64_t>(Below(3000)));
        }
        if (Chance(50)) {
          spec.set_backoff_ms(1 + static_cast<int64_t>(Below(50)));
        }
        // Producers that resubmit "the same" job: keys shared by everyone.
        if (Chance(15)) {
          spec.set_idempotency_key("key-" + std::to_string(Below(40)));
        }
        // As the client library sets it: unique per job, kept for re-sends.
        spec.set_submit_token(client.id + "/" + std::to_string(seq));
        client.unacked[seq] = PendingSubmit{spec, submit.notify()};
      }
      ClientSend(client, MakeMessage(client.id, Command::kSubmit, submit));
    } else if (r < 75 && !client.known.empty()) {
      std::vector<JobId> ids;
      for (int i = 0, n = 1 + static_cast<int>(Below(3)); i < n; ++i) {
        ids.push_back(client.known[Below(client.known.size())]);
      }
      SendWait(client, ids);
    } else if (r < 87 && !client.known.empty()) {
      wire::Cancel cancel;
      cancel.add_ids(std::string(client.known[Below(client.known.size())].Bytes()));
      ClientSend(client, MakeMessage(client.id, Command::kCancel, cancel));
    } else if (r < 92) {
      wire::Sentinel sentinel;
      sentinel.set_queue(kQueues[Below(kQueues.size())]);
      ClientSend(client, MakeMessage(client.id, Command::kSentinel, sentinel));
    }
  }

  template <typename Ids>
  void SendWait(SimClient& client, const Ids& ids) {
    wire::Wait wait;
    std::set<JobId> distinct;
    for (const JobId& id : ids) {
      if (!distinct.insert(id).second) {
        continue;
      }
      wait.add_ids(std::string(id.Bytes()));
      if (!client.finished.count(id)) {
        client.waiting.insert(id);
      }
    }
    ClientSend(client, MakeMessage(client.id, Command::kWait, wait));
  }

  void ClientTime(SimClient& client) {
    if (client.reconnect_at_ms && Now() >= *client.reconnect_at_ms) {
      ClientReconnect(client);
    }
    if (Now() >= client.next_wait_resend_ms) {
      client.next_wait_resend_ms = Now() + kWaitResendMs;
      if (!client.waiting.empty()) {
        SendWait(client, client.waiting);
      }
    }
  }

  // As the client library does on a new connection: every unacknowledged
  // job again, with its token and client_seq, then WAIT for what it awaits.
  void ClientReconnect(SimClient& client) {
    client.reconnect_at_ms.reset();
    Trace(client.id, " reconnects: ", client.unacked.size(), " unacknowledged, ",
          client.waiting.size(), " awaited");
    wire::Submit submit;
    uint64_t next_seq = 0;
    for (const auto& [seq, pending] : client.unacked) {
      if (submit.jobs_size() > 0 && (seq != next_seq || pending.notify != submit.notify())) {
        ClientSend(client, MakeMessage(client.id, Command::kSubmit, submit));
        submit.Clear();
      }
      if (submit.jobs_size() == 0) {
        submit.set_first_seq(seq);
        submit.set_notify(pending.notify);
      }
      *submit.add_jobs() = pending.spec;
      next_seq = seq + 1;
    }
    if (submit.jobs_size() > 0) {
      ClientSend(client, MakeMessage(client.id, Command::kSubmit, submit));
    }
    if (!client.waiting.empty()) {
      SendWait(client, client.waiting);
    }
  }

  void ClientReceive(SimClient& client, const Message& message) {
    if (message.command == Command::kClientResult) {
      wire::ClientResults results;
      results.ParseFromString(message.body);
      for (const wire::JobOutcome& outcome : results.outcomes()) {
        if (auto id = JobId::FromBytes(outcome.id())) {
          client.waiting.erase(*id);
          client.finished.insert(*id);
        }
      }
      return;
    }
    if (message.command != Command::kSubmitted) {
      return;
    }
    wire::Submitted submitted;
    submitted.ParseFromString(message.body);
    for (const wire::SubmitAck& ack : submitted.acks()) {
      std::optional<JobId> id = JobId::FromBytes(ack.id());
      if (!id) {
        continue;  // a rejection; AfterSubmit has failed the run already
      }
      SIM_EXPECT(durable_jobs_.count(*id) > 0, "acknowledged an id the store does not have");
      auto [acked, first] = client.acked.emplace(ack.client_seq(), *id);
      SIM_EXPECT(acked->second == *id, "client_seq " + std::to_string(ack.client_seq()) + " of " +
                                           client.id + " acknowledged as " + Hex(acked->second) +
                                           " and then as " + Hex(*id));
      if (!first) {
        continue;
      }
      if (std::find(client.known.begin(), client.known.end(), *id) == client.known.end()) {
        client.known.push_back(*id);
      }
      auto pending = client.unacked.find(ack.client_seq());
      if (pending == client.unacked.end()) {
        continue;
      }
      SIM_EXPECT(tokens_.count(pending->second.spec.submit_token()) ||
                     keys_.count(pending->second.spec.idempotency_key()),
                 "acknowledged a job whose token and key no job has");
      if (pending->second.notify && !client.finished.count(*id)) {
        client.waiting.insert(*id);
      }
      client.unacked.erase(pending);
    }
  }

  uint64_t seed_;
  bool verbose_;
  std::mt19937_64 rng_;
  SimNetwork net_;
  FakeClock clock_;
  TimeMs start_ms_ = 0;
  uint64_t steps_ = 0;
  uint64_t fault_steps_ = 0;
  CoreOptions options_;
  std::unique_ptr<BrokerCore> core_;
  MemoryStore store_;  // outlives every core: the machine's disk
  Effects effects_;
  bool crashes_ = true;
  uint64_t crash_one_in_ = 0;
  uint64_t restarts_ = 0;
  Coverage coverage_;

  std::vector<SimWorker> workers_;
  std::vector<SimClient> clients_;

  // The loop's writer (BrokerLoop): the batch in flight, the writes
  // gathered since, the messages waiting for a batch (FIFO).
  std::optional<Batch> in_flight_;
  Unwritten unwritten_;
  uint64_t unwritten_steps_ = 0;
  uint64_t next_batch_ = 1;       // the one gathering
  uint64_t committed_batch_ = 0;  // the last committed
  std::deque<Release> held_;
  std::map<JobId, uint32_t> committed_attempts_;  // the loop's view of the store
  Release step_release_;  // what the step being modelled lets its messages carry

  // What the committed batches wrote: what the store must hold.
  std::map<JobId, DurableJob> durable_jobs_;
  std::map<JobId, SentinelModel> durable_sentinels_;  // fired: its removal is committed

  // The core's memory, as the model has it (rolled back by a crash).
  std::map<JobId, JobModel> jobs_;
  std::map<std::string, JobId> tokens_;
  std::map<std::string, JobId> keys_;
  std::map<std::string, QueueModel> queues_;
  std::map<JobId, SentinelModel> sentinels_;
  std::map<JobId, Lease> leases_;
  std::map<std::string, uint64_t> session_;
  uint64_t next_session_ = 0;
  // The core's registration of each worker, (instance, number), and the
  // latest number each instance registered (in this broker life).
  std::map<std::string, std::pair<uint64_t, uint64_t>> registration_of_;
  std::map<uint64_t, uint64_t> latest_registration_;
  std::set<std::string> registered_;
  std::map<std::string, TimeMs> last_heard_ms_;
  std::string expect_removal_;
  std::set<std::pair<std::string, JobId>> expected_cancels_;  // (worker, job) this step
  std::vector<JobId> expect_cancelled_;                       // by a client's CANCEL this step
  std::map<JobId, std::set<std::string>> watchers_;           // as the core has them

  // What left the broker: no crash takes it back.
  std::map<JobId, uint32_t> attempts_sent_;  // the highest attempt DISPATCHed, per job
  std::map<JobId, std::string> last_dispatch_to_;
  std::map<std::pair<JobId, uint32_t>, std::string> attempt_holders_;  // who got each attempt
  std::map<JobId, uint64_t> sentinel_firings_;  // the step whose SENTINELs left, per sentinel
  std::set<JobId> sentinel_firings_lost_;       // committed, SENTINELs lost in a crash
  std::map<std::pair<std::string, JobId>, int> allowed_outcomes_;
  std::map<std::pair<std::string, JobId>, int> outcomes_sent_;
};

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(BrokerSimTest, InvariantsHoldUnderFaultsAndRestarts) {
  std::signal(SIGABRT, PrintReplayOnAbort);
  const char* one = std::getenv("JOBQ_SIM_SEED");
  const bool replay = one != nullptr && *one != '\0';
  // JOBQ_SIM_FIRST_SEED lets several processes share a long run.
  const uint64_t first =
      replay ? std::strtoull(one, nullptr, 10) : EnvNumber("JOBQ_SIM_FIRST_SEED", 1);
  const uint64_t count = replay ? 1 : EnvNumber("JOBQ_SIM_SEEDS", 1000);
  int failures = 0;
  uint64_t seeds = 0;
  size_t jobs = 0;
  uint64_t restarts = 0;
  uint64_t steps = 0;
  uint64_t quiet_steps = 0;
  Coverage coverage;
  for (uint64_t seed = first; seed < first + count && failures < 3; ++seed) {
    g_current_seed = static_cast<std::sig_atomic_t>(seed);
    Simulation simulation(seed, replay);
    std::string failure = simulation.Run();
    ++seeds;
    jobs += simulation.jobs();
    restarts += simulation.restarts();
    steps += simulation.steps();
    coverage.Add(simulation.coverage());
    quiet_steps += simulation.quiet_steps();
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << failure << "\nreplay: JOBQ_SIM_SEED=" << seed
                    << " ./build/tests/sim/broker_sim_test";
    }
  }
  std::printf("simulated %llu seed(s), %zu jobs, %llu steps (%llu quiet), %llu broker restarts\n",
              static_cast<unsigned long long>(seeds), jobs, static_cast<unsigned long long>(steps),
              static_cast<unsigned long long>(quiet_steps),
              static_cast<unsigned long long>(restarts));
  auto n = [](uint64_t value) { return static_cast<unsigned long long>(value); };
  std::printf(
      "  batches %llu (%llu with several steps' writes); crashes %llu (batch in flight "
      "committed/lost %llu/%llu), steps of writes lost %llu, held messages lost %llu, "
      "unrecorded dispatches skipped %llu\n",
      n(coverage.batches), n(coverage.multi_step_batches), n(coverage.crashes),
      n(coverage.crashes_in_flight_committed), n(coverage.crashes_in_flight_lost),
      n(coverage.steps_lost), n(coverage.held_lost), n(coverage.unrecorded_dispatches));
  std::printf(
      "  duplicate acks %llu, retries %llu, leases expired %llu, orphans adopted/requeued "
      "%llu/%llu, late successes %llu, results lost %llu, sentinels fired/refired %llu/%llu "
      "(firings lost after their commit %llu)\n",
      n(coverage.duplicate_acks), n(coverage.retries), n(coverage.leases_expired),
      n(coverage.orphans_adopted), n(coverage.orphans_requeued), n(coverage.late_successes),
      n(coverage.results_lost), n(coverage.sentinels_fired), n(coverage.sentinels_refired),
      n(coverage.sentinel_firings_lost));
  std::printf(
      "  registrations: HELLOs re-sent %llu, overtaken %llu; stale DISPATCHes dropped %llu; "
      "jobs refused %llu; CANCELs of running jobs %llu\n",
      n(coverage.repeated_hellos), n(coverage.overtaken_hellos), n(coverage.stale_dispatches),
      n(coverage.refusals), n(coverage.cancels_while_running));
  std::signal(SIGABRT, SIG_DFL);
}

}  // namespace
}  // namespace jobq::testing
