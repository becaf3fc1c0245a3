// Seeded, deterministic simulation of BrokerCore (DESIGN §11, STYLE §8; in
// the spirit of TigerBeetle's VOPR and FoundationDB's RandomClogging).
//
// One std::mt19937_64, seeded from the seed, drives everything: a SimNetwork
// that drops, duplicates, delays and reorders messages in both directions,
// simulated clients (SUBMIT / WAIT / CANCEL / SENTINEL) and simulated workers
// (HELLO, DISPATCH -> RESULT + CREDIT, heartbeats, crashes, stalls past the
// liveness window, BYE, drains; a few deliberately broken ones). After every
// step the core's own CheckInvariants() runs, then the simulation's checks:
//   1. no accepted job is lost: FindJob knows it for the whole run (the
//      result TTL is far longer than a run);
//   2. a job reaches one terminal state and stays there; each watcher gets
//      one outcome per job (plus one per WAIT sent once it had finished), all
//      with that state;
//   3. no job leased to two live worker sessions at once (from the DISPATCH
//      messages the core emitted, the results it accepted and the sessions
//      that ended), and the core's leases agree with that model both ways;
//   4. `attempt` in DISPATCH strictly increases per job; accepted failures
//      never exceed max_attempts; each accepted result moves the job to the
//      state the protocol says;
//   5. sentinel order: no job accepted behind a sentinel is dispatched
//      before every job accepted ahead of it was dispatched (or cancelled);
//   +  a worker is only declared dead after a silence longer than the
//      liveness window.
// Then a quiet phase (no more faults, workers spawned for queues that lack
// one) must bring every accepted job to a terminal state (liveness).
//
// Network model: ZeroMQ over TCP does not lose single messages; a loss means
// the connection broke. So a message dropped on a worker's link makes that
// worker reconnect (HELLO listing what it holds) a little later, which is how
// the real worker heals. Client links just lose the message.
//
// JOBQ_SIM_SEEDS=<n> runs seeds 1..n (default 1000); JOBQ_SIM_SEED=<n>
// replays one seed, with a trace of every event on stderr.

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "broker/core/broker_core.h"
#include "common/clock.h"
#include "common/framing.h"
#include "common/job_id.h"
#include "jobq/wire.pb.h"

namespace jobq::testing {
namespace {

using broker::core::BrokerCore;
using broker::core::CoreOptions;
using broker::core::Effects;
using broker::core::IsTerminal;
using broker::core::Job;
using broker::core::Outbound;
using broker::core::Socket;
using broker::core::WorkerInfo;

constexpr uint32_t kHeartbeatMs = 1000;
constexpr uint32_t kLivenessMisses = 3;
constexpr TimeMs kSilenceMaxMs = static_cast<TimeMs>(kHeartbeatMs) * kLivenessMisses;
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
    if (!(condition)) Fail(what);   \
  } while (0)

struct SimFailure {
  std::string what;
};

std::string Hex(const JobId& id) { return id.ToString(); }

// ---------------------------------------------------------------------------
// SimNetwork: messages in flight between the core and its peers.

struct Message {
  bool to_core = true;
  bool worker_link = false;  // backend (worker) or frontend (client)
  std::string peer;
  Command command{};
  std::string body;
  TimeMs deliver_ms = 0;
};

class SimNetwork {
 public:
  explicit SimNetwork(std::mt19937_64& rng) : rng_(rng) {}

  void set_faults(bool faults) { faults_ = faults; }
  bool empty() const { return in_flight_.empty(); }

  // Returns false when the message was dropped (the caller reacts to a lost
  // worker link).
  bool Send(Message message, TimeMs now_ms) {
    if (faults_ && Chance(2)) return false;  // 2% lost
    int copies = faults_ && Chance(2) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      Message copy = message;
      copy.deliver_ms = now_ms + Delay();
      in_flight_.push_back(std::move(copy));
    }
    return true;
  }

  // A random message that is due (reordering among those), if any.
  std::optional<Message> TakeDue(TimeMs now_ms) {
    due_.clear();
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      if (in_flight_[i].deliver_ms <= now_ms) due_.push_back(i);
    }
    if (due_.empty()) return std::nullopt;
    size_t pick = due_[rng_() % due_.size()];
    Message message = std::move(in_flight_[pick]);
    in_flight_[pick] = std::move(in_flight_.back());
    in_flight_.pop_back();
    return message;
  }

 private:
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  TimeMs Delay() {
    if (!faults_) return static_cast<TimeMs>(rng_() % 20);
    uint64_t r = rng_() % 100;
    if (r < 80) return static_cast<TimeMs>(rng_() % 50);
    if (r < 97) return static_cast<TimeMs>(rng_() % 500);
    return static_cast<TimeMs>(rng_() % 4000);  // clogged: may outlast the liveness window
  }

  std::mt19937_64& rng_;
  bool faults_ = true;
  std::vector<Message> in_flight_;
  std::vector<size_t> due_;
};

// ---------------------------------------------------------------------------
// Simulated peers.

struct HeldJob {
  TimeMs finish_ms = 0;
  bool ok = true;
  std::string error_type;
};

struct SimWorker {
  std::string id;
  uint32_t capacity = 1;
  std::vector<std::string> queues;  // what it still takes jobs from
  bool broken = false;              // ignores the protocol on purpose
  bool crashed = false;             // silent forever
  bool gone = false;                // said BYE
  bool draining = false;
  TimeMs silent_until_ms = 0;  // stalled (no messages out) until then
  TimeMs next_heartbeat_ms = 0;
  std::optional<TimeMs> hello_at_ms;  // reconnect pending
  std::map<std::pair<JobId, uint32_t>, HeldJob> held;
  std::set<std::pair<JobId, uint32_t>> seen;
  std::vector<Message> outbox;  // held back while stalled

  bool alive() const { return !crashed && !gone; }
};

struct SimClient {
  std::string id;
  uint64_t next_seq = 1;
  std::vector<JobId> acked;
};

// ---------------------------------------------------------------------------
// What the simulation knows of each job, independently of the core.

struct JobModel {
  std::string queue;
  uint32_t max_attempts = 1;
  size_t epoch = 0;  // sentinels accepted on its queue before it
  bool dispatched_or_done = false;
  uint32_t last_attempt = 0;
  uint32_t failures = 0;  // failed results the core accepted
  std::optional<wire::JobState> terminal;
};

struct Lease {
  std::string worker;
  uint32_t attempt = 0;
  uint64_t session = 0;
};

struct QueueModel {
  size_t sentinels = 0;
  std::vector<size_t> pending_by_epoch;  // jobs neither dispatched nor done
};

class Simulation {
 public:
  Simulation(uint64_t seed, bool verbose) : seed_(seed), verbose_(verbose), rng_(seed), net_(rng_) {
    CoreOptions options;
    options.heartbeat_interval_ms = kHeartbeatMs;
    options.liveness_misses = kLivenessMisses;
    options.result_ttl_ms = TimeMs{1} << 40;
    options.lost_leases_max = 5;
    options.seed = rng_();
    core_ = std::make_unique<BrokerCore>(options);
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

 private:
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  uint64_t Below(uint64_t n) { return rng_() % n; }
  TimeMs Now() const { return clock_.NowMs(); }

  template <typename... Args>
  void Trace(const Args&... args) {
    if (!verbose_) return;
    std::ostringstream out;
    out << "[" << (Now() - start_ms_) << "ms] ";
    (out << ... << args);
    std::fprintf(stderr, "%s\n", out.str().c_str());
  }

  [[noreturn]] void Fail(const std::string& what) {
    std::ostringstream out;
    out << "seed " << seed_ << " at t=" << (Now() - start_ms_) << "ms step " << steps_ << ": "
        << what;
    throw SimFailure{out.str()};
  }

  void RunPhases() {
    start_ms_ = Now();
    Step([&](Effects*) {});
    for (int i = 0, n = 2 + static_cast<int>(Below(4)); i < n; ++i) SpawnWorker(std::nullopt);
    if (Chance(15)) {
      SpawnWorker(std::nullopt);
      workers_.back().broken = true;
    }
    for (int i = 0, n = 1 + static_cast<int>(Below(3)); i < n; ++i) {
      SimClient client;
      client.id = "c" + std::to_string(i);
      clients_.push_back(std::move(client));
    }

    // Fault phase.
    const int fault_steps = 600 + static_cast<int>(Below(600));
    for (int i = 0; i < fault_steps; ++i) {
      uint64_t r = Below(100);
      if (r < 45 && DeliverOne()) continue;
      if (r < 62) {
        ClientAct(clients_[Below(clients_.size())]);
      } else if (r < 64) {
        SpawnWorker(std::nullopt);
      } else {
        AdvanceTime(1 + static_cast<TimeMs>(Below(150)), /*faults=*/true);
      }
    }

    // Quiet phase: no faults; stalled workers wake; every queue with work
    // gets a worker; everything accepted must finish.
    net_.set_faults(false);
    for (SimWorker& worker : workers_)
      worker.silent_until_ms = std::min(worker.silent_until_ms, Now());
    Trace("--- quiet phase ---");
    const TimeMs quiet_deadline_ms = Now() + 600'000;
    while (true) {
      while (DeliverOne()) {
      }
      if (AllTerminal()) break;
      if (Now() > quiet_deadline_ms) {
        std::ostringstream out;
        out << "liveness: jobs still not finished after the quiet phase:";
        int shown = 0;
        for (const auto& [id, model] : jobs_) {
          if (model.terminal) continue;
          const Job* job = core_->FindJob(id);
          out << " " << Hex(id) << "(queue " << model.queue << ", state "
              << (job ? wire::JobState_Name(job->state) : "?") << ", leased_to "
              << (job ? job->leased_to : "?") << ")";
          if (++shown == 5) break;
        }
        Fail(out.str());
      }
      EnsureConsumers();
      AdvanceTime(50, /*faults=*/false);
    }
    SweepChecks();
  }

  bool AllTerminal() const {
    for (const auto& [id, model] : jobs_) {
      if (!model.terminal) return false;
    }
    return true;
  }

  // Spawns a healthy worker for each queue that has unfinished jobs and no
  // alive, undrained worker taking from it.
  void EnsureConsumers() {
    std::set<std::string> need;
    for (const auto& [id, model] : jobs_) {
      if (!model.terminal) need.insert(model.queue);
    }
    for (const SimWorker& worker : workers_) {
      if (!worker.alive() || worker.draining || worker.broken) continue;
      for (const std::string& queue : worker.queues) need.erase(queue);
    }
    for (const std::string& queue : need) SpawnWorker(queue);
  }

  // ---- driving the core: one step = one input + Tick + every check.

  template <typename Input>
  void Step(Input input) {
    ++steps_;
    effects_.Clear();
    input(&effects_);
    core_->Tick(Now(), &effects_);
    core_->CheckInvariants();
    AfterStep();
  }

  void AdvanceTime(TimeMs delta_ms, bool faults) {
    clock_.AdvanceMs(delta_ms);
    Step([&](Effects*) {});
    for (size_t i = 0; i < workers_.size(); ++i) WorkerTime(i, faults);
  }

  bool DeliverOne() {
    std::optional<Message> message = net_.TakeDue(Now());
    if (!message) return false;
    if (message->to_core) {
      DeliverToCore(*message);
    } else if (message->worker_link) {
      for (size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i].id == message->peer) WorkerReceive(i, *message);
      }
    } else {
      for (SimClient& client : clients_) {
        if (client.id == message->peer) ClientReceive(client, *message);
      }
    }
    return true;
  }

  void DeliverToCore(const Message& message) {
    Trace("-> core from ", message.peer, ": ", CommandName(message.command));
    if (!message.worker_link) {
      BeforeClientMessage(message);
      std::optional<wire::Submit> submit;
      if (message.command == Command::kSubmit) {
        submit.emplace();
        submit->ParseFromString(message.body);
      }
      in_submit_ = message.command == Command::kSubmit;
      Step([&](Effects* effects) {
        core_->OnClientMessage(message.peer, message.command, message.body, Now(), effects);
      });
      in_submit_ = false;
      if (message.command == Command::kSubmit) {
        AfterSubmit(message.peer, *submit);
      } else if (message.command == Command::kSentinel) {
        wire::Sentinel sentinel;
        sentinel.ParseFromString(message.body);
        ++queues_[sentinel.queue()].sentinels;
      }
      return;
    }
    std::vector<PendingResult> results = BeforeWorkerMessage(message);
    Step([&](Effects* effects) {
      core_->OnWorkerMessage(message.peer, message.command, message.body, Now(), effects);
    });
    AfterResults(message.peer, results);
  }

  // ---- the model: what each step's input and effects mean.

  void BeforeClientMessage(const Message& message) {
    if (message.command != Command::kWait) return;
    wire::Wait wait;
    wait.ParseFromString(message.body);
    for (const std::string& raw : wait.ids()) {
      std::optional<JobId> id = JobId::FromBytes(raw);
      auto it = id ? jobs_.find(*id) : jobs_.end();
      if (it == jobs_.end()) continue;
      if (it->second.terminal) {
        ++extra_outcomes_[{message.peer, *id}];
      } else {
        watching_.insert({message.peer, *id});
      }
    }
  }

  void AfterSubmit(const std::string& client, const wire::Submit& submit) {
    for (const Outbound& out : effects_.outbound) {
      if (out.routing_id != client || out.command != Command::kSubmitted) continue;
      const auto& submitted = static_cast<const wire::Submitted&>(*out.body);
      for (const wire::SubmitAck& ack : submitted.acks()) {
        std::optional<JobId> id = JobId::FromBytes(ack.id());
        SIM_EXPECT(id.has_value(), "SUBMIT rejected: " + ack.error().message());
        const wire::JobSpec& spec =
            submit.jobs(static_cast<int>(ack.client_seq() - submit.first_seq()));
        SIM_EXPECT(!jobs_.count(*id), "job id reused: " + Hex(*id));
        QueueModel& queue = queues_[spec.queue()];
        JobModel& model = jobs_[*id];
        model.queue = spec.queue();
        model.max_attempts = std::max<uint32_t>(1, spec.max_attempts());
        model.epoch = queue.sentinels;
        if (queue.pending_by_epoch.size() <= model.epoch) {
          queue.pending_by_epoch.resize(model.epoch + 1);
        }
        ++queue.pending_by_epoch[model.epoch];
        if (submit.notify()) watching_.insert({client, *id});
        if (spec.sentinel()) ++queue.sentinels;
        // A DISPATCH in this very step was handled before the job was known.
        for (const auto& [job, lease] : early_dispatch_) {
          if (job == *id) OnDispatched(job, lease);
        }
      }
    }
    early_dispatch_.clear();
  }

  struct PendingResult {
    JobId id;
    uint32_t attempt;
    bool ok;
    std::string error_type;
    bool accepted;
  };

  // Decides, from the model alone, what the core must do with this message.
  std::vector<PendingResult> BeforeWorkerMessage(const Message& message) {
    std::vector<PendingResult> pending;
    const std::string& worker = message.peer;
    const bool registered = registered_.count(worker) > 0;
    if (registered && message.command != Command::kHello) last_heard_ms_[worker] = Now();
    switch (message.command) {
      case Command::kWorkerResult: {
        wire::WorkerResults results;
        if (!results.ParseFromString(message.body)) break;
        std::set<std::pair<JobId, uint32_t>> accepted_here;
        for (const wire::JobResult& result : results.results()) {
          std::optional<JobId> id = JobId::FromBytes(result.id());
          if (!id) continue;
          bool accepted = false;
          auto lease = leases_.find(*id);
          if (registered && lease != leases_.end() && lease->second.worker == worker &&
              lease->second.attempt == result.attempt() &&
              lease->second.session == session_[worker] &&
              !accepted_here.count({*id, result.attempt()})) {
            accepted = true;
            accepted_here.insert({*id, result.attempt()});
            leases_.erase(lease);
          }
          pending.push_back({*id, result.attempt(), result.ok(), result.error().type(), accepted});
        }
        break;
      }
      case Command::kHello: {
        wire::Hello hello;
        if (!hello.ParseFromString(message.body)) break;
        std::set<std::pair<JobId, uint32_t>> held;
        for (const wire::HeldJob& job : hello.in_flight()) {
          if (auto id = JobId::FromBytes(job.id())) held.insert({*id, job.attempt()});
        }
        const uint64_t old_session = session_[worker];
        const uint64_t new_session = ++next_session_;
        for (auto& [id, lease] : leases_) {
          if (lease.worker != worker) continue;
          if (registered && lease.session == old_session && held.count({id, lease.attempt})) {
            lease.session = new_session;  // still running there
          }
        }
        EndLeases(worker, new_session);
        session_[worker] = new_session;
        registered_.insert(worker);
        last_heard_ms_[worker] = Now();
        expect_removal_ = worker;  // the old registration ends
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
    return pending;
  }

  // Ends the leases of `worker` in sessions other than `keep_session`.
  void EndLeases(const std::string& worker, uint64_t keep_session) {
    for (auto it = leases_.begin(); it != leases_.end();) {
      if (it->second.worker == worker && it->second.session != keep_session) {
        it = leases_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void AfterResults(const std::string& worker, const std::vector<PendingResult>& results) {
    for (const PendingResult& result : results) {
      if (!result.accepted) continue;
      JobModel& model = jobs_.at(result.id);
      const Job* job = core_->FindJob(result.id);
      SIM_EXPECT(job != nullptr, "job vanished after its result: " + Hex(result.id));
      wire::JobState want;
      if (result.ok) {
        want = wire::JOB_STATE_SUCCEEDED;
      } else {
        ++model.failures;
        SIM_EXPECT(model.failures <= model.max_attempts,
                   "job " + Hex(result.id) + " failed more often than max_attempts");
        if (result.error_type == "bad_args" || model.max_attempts == 1) {
          want = wire::JOB_STATE_FAILED;
        } else if (model.failures >= model.max_attempts) {
          want = wire::JOB_STATE_DEAD;
        } else {
          want = wire::JOB_STATE_QUEUED;
        }
      }
      const bool ok = job->state == want ||
                      (want == wire::JOB_STATE_QUEUED && job->state == wire::JOB_STATE_RUNNING &&
                       job->attempt > result.attempt);
      SIM_EXPECT(ok, "result from " + worker + " for " + Hex(result.id) + " attempt " +
                         std::to_string(result.attempt) + " left the job " +
                         wire::JobState_Name(job->state) + ", expected " +
                         wire::JobState_Name(want));
    }
  }

  void OnDispatched(const JobId& id, const Lease& lease) {
    auto found = jobs_.find(id);
    if (found == jobs_.end()) {
      early_dispatch_.push_back({id, lease});
      return;
    }
    JobModel& model = found->second;
    SIM_EXPECT(!model.terminal, "finished job " + Hex(id) + " dispatched again");
    SIM_EXPECT(lease.attempt > model.last_attempt, "attempt of " + Hex(id) + " went from " +
                                                       std::to_string(model.last_attempt) + " to " +
                                                       std::to_string(lease.attempt));
    model.last_attempt = lease.attempt;
    if (auto old = leases_.find(id); old != leases_.end()) {
      Fail("job " + Hex(id) + " dispatched to " + lease.worker + " (attempt " +
           std::to_string(lease.attempt) + ") while still leased to live " + old->second.worker +
           " (attempt " + std::to_string(old->second.attempt) + ")");
    }
    SIM_EXPECT(registered_.count(lease.worker) > 0, "dispatch to unregistered " + lease.worker);
    leases_[id] = lease;
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
    if (model.dispatched_or_done) return;
    model.dispatched_or_done = true;
    --queues_[model.queue].pending_by_epoch[model.epoch];
  }

  void OnOutcome(const std::string& client, const wire::JobOutcome& outcome) {
    std::optional<JobId> id = JobId::FromBytes(outcome.id());
    SIM_EXPECT(id.has_value(), "outcome without a job id");
    auto found = jobs_.find(*id);
    if (found == jobs_.end()) return;  // accepted this step; AfterSubmit has not run
    JobModel& model = found->second;
    SIM_EXPECT(IsTerminal(outcome.state()),
               "outcome for " + Hex(*id) + " in state " + wire::JobState_Name(outcome.state()));
    if (!model.terminal) SetTerminal(*id, model, outcome.state());
    SIM_EXPECT(*model.terminal == outcome.state(),
               "job " + Hex(*id) + " reported " + wire::JobState_Name(outcome.state()) + " after " +
                   wire::JobState_Name(*model.terminal));
    int& count = outcomes_sent_[{client, *id}];
    ++count;
    const int allowed = (watching_.count({client, *id}) ? 1 : 0) + extra_outcomes_[{client, *id}];
    SIM_EXPECT(count <= allowed,
               "client " + client + " got " + std::to_string(count) + " outcomes for " + Hex(*id));
  }

  void SetTerminal(const JobId& id, JobModel& model, wire::JobState state) {
    SIM_EXPECT(!leases_.count(id), "job " + Hex(id) + " became " + wire::JobState_Name(state) +
                                       " while leased to live " + leases_.at(id).worker +
                                       " with no result from it");
    model.terminal = state;
    MarkDispatchedOrDone(model);
  }

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

    // Effects: dispatches, outcomes, then hand everything to the network.
    for (Outbound& out : effects_.outbound) {
      if (out.command == Command::kDispatch) {
        const auto& dispatch = static_cast<const wire::Dispatch&>(*out.body);
        for (const wire::DispatchedJob& job : dispatch.jobs()) {
          std::optional<JobId> id = JobId::FromBytes(job.id());
          SIM_EXPECT(id.has_value(), "DISPATCH with a bad id");
          OnDispatched(*id, Lease{out.routing_id, job.attempt(), session_[out.routing_id]});
        }
      } else if (out.command == Command::kClientResult) {
        const auto& results = static_cast<const wire::ClientResults&>(*out.body);
        for (const wire::JobOutcome& outcome : results.outcomes())
          OnOutcome(out.routing_id, outcome);
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

    // Jobs whose state changed this step: terminal ones are recorded.
    for (const JobId& id : effects_.changed_jobs) CheckJob(id);
    SIM_EXPECT(effects_.erased_jobs.empty(), "a job was erased within its result TTL");
    if (steps_ % 64 == 0) SweepChecks();
    SIM_EXPECT(in_submit_ || early_dispatch_.empty(), "DISPATCH of a job never accepted");
  }

  void CheckJob(const JobId& id) {
    auto found = jobs_.find(id);
    if (found == jobs_.end()) return;  // accepted this step
    JobModel& model = found->second;
    const Job* job = core_->FindJob(id);
    SIM_EXPECT(job != nullptr, "accepted job lost: " + Hex(id));
    if (model.terminal) {
      SIM_EXPECT(job->state == *model.terminal, "job " + Hex(id) + " left terminal state " +
                                                    wire::JobState_Name(*model.terminal) + " for " +
                                                    wire::JobState_Name(job->state));
    } else if (IsTerminal(job->state)) {
      SetTerminal(id, model, job->state);
    }
    SIM_EXPECT(job->failures <= model.max_attempts, "core counts too many failures for " + Hex(id));
  }

  void SweepChecks() {
    for (const auto& [id, model] : jobs_) CheckJob(id);
    for (const SimClient& client : clients_) {
      for (const JobId& id : client.acked) {
        SIM_EXPECT(core_->FindJob(id) != nullptr, "acknowledged job lost: " + Hex(id));
      }
    }
    // The core's leases and the model's agree, both ways.
    for (const auto& [id, lease] : leases_) {
      const Job* job = core_->FindJob(id);
      SIM_EXPECT(job != nullptr && job->state == wire::JOB_STATE_RUNNING &&
                     job->leased_to == lease.worker && job->attempt == lease.attempt,
                 "model lease of " + Hex(id) + " to " + lease.worker + " attempt " +
                     std::to_string(lease.attempt) + " unknown to the core");
    }
    for (const auto& [id, model] : jobs_) {
      const Job* job = core_->FindJob(id);
      if (job != nullptr && job->state == wire::JOB_STATE_RUNNING) {
        SIM_EXPECT(leases_.count(id) > 0,
                   "core has " + Hex(id) + " running on " + job->leased_to + " without a dispatch");
      }
    }
  }

  // ---- network plumbing

  void SendFromCore(Message message) {
    const std::string peer = message.peer;
    const bool worker_link = message.worker_link;
    if (!net_.Send(std::move(message), Now()) && worker_link) LinkBroke(peer);
  }

  void SendToCore(SimWorker* worker, Message message) {
    message.to_core = true;
    if (worker != nullptr) {
      message.worker_link = true;
      message.peer = worker->id;
      if (Now() < worker->silent_until_ms) {
        worker->outbox.push_back(std::move(message));
        return;
      }
    }
    const std::string peer = message.peer;
    if (!net_.Send(std::move(message), Now()) && worker != nullptr) LinkBroke(peer);
  }

  template <typename Body>
  static Message MakeMessage(const std::string& peer, Command command, const Body& body) {
    Message message;
    message.peer = peer;
    message.command = command;
    message.body = body.SerializeAsString();
    return message;
  }

  // A lost message on a worker link = a broken connection: the worker
  // reconnects with HELLO a little later.
  void LinkBroke(const std::string& peer) {
    for (SimWorker& worker : workers_) {
      if (worker.id == peer && worker.alive() && !worker.hello_at_ms) {
        worker.hello_at_ms = Now() + static_cast<TimeMs>(Below(500));
        Trace("link of ", peer, " broke");
      }
    }
  }

  // ---- workers

  void SpawnWorker(std::optional<std::string> queue) {
    SimWorker worker;
    worker.id = "w" + std::to_string(workers_.size());
    worker.capacity = 1 + static_cast<uint32_t>(Below(4));
    if (queue) {
      worker.queues = {*queue};
    } else {
      for (const std::string& name : kQueues) {
        if (Chance(50)) worker.queues.push_back(name);
      }
      if (worker.queues.empty()) worker.queues.push_back(kQueues[Below(kQueues.size())]);
    }
    worker.next_heartbeat_ms = Now() + kHeartbeatMs - static_cast<TimeMs>(Below(200));
    workers_.push_back(std::move(worker));
    Trace("spawn ", workers_.back().id);
    SendHello(workers_.back());
  }

  void SendHello(SimWorker& worker) {
    wire::Hello hello;
    hello.set_name(worker.id);
    hello.set_host("sim");
    wire::PoolCapacity& pool = *hello.add_pools();
    pool.set_kind(wire::KIND_IO);
    pool.set_capacity(worker.capacity);
    for (const std::string& queue : worker.queues) hello.add_queues(queue);
    for (const auto& [key, job] : worker.held) {
      wire::HeldJob& held = *hello.add_in_flight();
      held.set_id(std::string(key.first.Bytes()));
      held.set_attempt(key.second);
      held.set_kind(wire::KIND_IO);
    }
    worker.hello_at_ms.reset();
    SendToCore(&worker, MakeMessage(worker.id, Command::kHello, hello));
  }

  void WorkerReceive(size_t index, const Message& message) {
    SimWorker& worker = workers_[index];
    if (!worker.alive()) return;
    switch (message.command) {
      case Command::kDispatch: {
        wire::Dispatch dispatch;
        dispatch.ParseFromString(message.body);
        for (const wire::DispatchedJob& job : dispatch.jobs()) {
          auto id = JobId::FromBytes(job.id());
          if (!id || !worker.seen.insert({*id, job.attempt()}).second) continue;  // duplicate
          HeldJob held;
          held.finish_ms = Now() + 1 + static_cast<TimeMs>(Below(Chance(10) ? 5000 : 800));
          uint64_t r = Below(100);
          held.ok = r < 78;
          held.error_type = r < 78 ? "" : (r < 92 ? "exception" : "bad_args");
          worker.held[{*id, job.attempt()}] = held;
        }
        break;
      }
      case Command::kWorkerCancel: {
        wire::Cancel cancel;
        cancel.ParseFromString(message.body);
        for (const std::string& raw : cancel.ids()) {
          auto id = JobId::FromBytes(raw);
          if (!id) continue;
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
        if (worker.queues.empty()) worker.draining = true;
        break;
      }
      case Command::kReconnect:
        if (!worker.hello_at_ms) worker.hello_at_ms = Now();
        break;
      default:
        break;  // WELCOME, HEARTBEAT, ERROR
    }
  }

  // Time passed: finish jobs, heartbeat, reconnect, leave, and (with faults)
  // crash, stall, drain, or misbehave.
  void WorkerTime(size_t index, bool faults) {
    SimWorker& worker = workers_[index];
    if (!worker.alive()) return;
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
        SendToCore(&worker, MakeMessage(worker.id, Command::kBye, wire::Empty()));
        worker.gone = true;
        return;
      } else if (r < 9 && !worker.draining) {
        worker.draining = true;
        worker.queues.clear();
        wire::Heartbeat heartbeat;
        heartbeat.set_draining(true);
        SendToCore(&worker, MakeMessage(worker.id, Command::kWorkerHeartbeat, heartbeat));
      }
    }
    if (Now() >= worker.silent_until_ms && !worker.outbox.empty()) {
      std::vector<Message> outbox = std::move(worker.outbox);
      worker.outbox.clear();
      for (Message& message : outbox) SendToCore(&worker, std::move(message));
    }
    if (worker.hello_at_ms && Now() >= *worker.hello_at_ms) SendHello(worker);
    if (faults && worker.broken) Misbehave(worker);

    wire::WorkerResults results;
    for (auto it = worker.held.begin(); it != worker.held.end();) {
      if (it->second.finish_ms > Now()) {
        ++it;
        continue;
      }
      wire::JobResult& result = *results.add_results();
      result.set_id(std::string(it->first.first.Bytes()));
      result.set_attempt(it->first.second);
      result.set_ok(it->second.ok);
      if (it->second.ok) {
        result.set_result("42");
      } else {
        result.mutable_error()->set_type(it->second.error_type);
        result.mutable_error()->set_message("sim");
      }
      it = worker.held.erase(it);
    }
    if (results.results_size() > 0) {
      SendToCore(&worker, MakeMessage(worker.id, Command::kWorkerResult, results));
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_credits(static_cast<uint32_t>(results.results_size()));
      SendToCore(&worker, MakeMessage(worker.id, Command::kCredit, credit));
    }
    if (Now() >= worker.next_heartbeat_ms) {
      worker.next_heartbeat_ms = Now() + kHeartbeatMs - static_cast<TimeMs>(Below(100));
      if (Now() >= worker.silent_until_ms) {
        wire::Heartbeat heartbeat;
        heartbeat.set_draining(worker.draining);
        SendToCore(&worker, MakeMessage(worker.id, Command::kWorkerHeartbeat, heartbeat));
      }
    }
    if (worker.draining && worker.held.empty() && worker.outbox.empty()) {
      Trace("drained ", worker.id);
      SendToCore(&worker, MakeMessage(worker.id, Command::kBye, wire::Empty()));
      worker.gone = true;
    }
  }

  // A worker that breaks the protocol on purpose.
  void Misbehave(SimWorker& worker) {
    uint64_t r = Below(100);
    if (r < 5) {
      wire::Credit credit;
      credit.set_kind(wire::KIND_IO);
      credit.set_credits(1000);
      SendToCore(&worker, MakeMessage(worker.id, Command::kCredit, credit));
    } else if (r < 10 && !jobs_.empty()) {
      // A result for some job it may well not hold.
      auto it = jobs_.begin();
      std::advance(it, static_cast<long>(Below(std::min<size_t>(jobs_.size(), 64))));
      wire::WorkerResults results;
      wire::JobResult& result = *results.add_results();
      result.set_id(std::string(it->first.Bytes()));
      result.set_attempt(static_cast<uint32_t>(Below(4)));
      result.set_ok(Chance(50));
      SendToCore(&worker, MakeMessage(worker.id, Command::kWorkerResult, results));
    } else if (r < 13) {
      Message message;
      message.peer = worker.id;
      message.command = Chance(50) ? Command::kCredit : Command::kWorkerResult;
      message.body = std::string("\xff\xff\xff\x01garbage", 11);
      SendToCore(&worker, std::move(message));
    } else if (r < 15 && !jobs_.empty()) {
      // HELLO claiming a job it never got.
      auto it = jobs_.begin();
      std::advance(it, static_cast<long>(Below(std::min<size_t>(jobs_.size(), 64))));
      wire::Hello hello;
      hello.set_name(worker.id);
      wire::PoolCapacity& pool = *hello.add_pools();
      pool.set_kind(wire::KIND_IO);
      pool.set_capacity(worker.capacity);
      for (const std::string& queue : worker.queues) hello.add_queues(queue);
      wire::HeldJob& held = *hello.add_in_flight();
      held.set_id(std::string(it->first.Bytes()));
      held.set_attempt(it->second.last_attempt);
      SendToCore(&worker, MakeMessage(worker.id, Command::kHello, hello));
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
        wire::JobSpec& spec = *submit.add_jobs();
        spec.set_task("t");
        spec.set_queue(kQueues[Below(kQueues.size())]);
        spec.set_priority(static_cast<int32_t>(Below(5)) - 2);
        spec.set_max_attempts(static_cast<uint32_t>(Below(4)));
        spec.set_sentinel(Chance(2));
      }
      client.next_seq += static_cast<uint64_t>(count);
      SendToCore(nullptr, MakeMessage(client.id, Command::kSubmit, submit));
    } else if (r < 75 && !client.acked.empty()) {
      wire::Wait wait;
      for (int i = 0, n = 1 + static_cast<int>(Below(3)); i < n; ++i) {
        std::string raw(client.acked[Below(client.acked.size())].Bytes());
        if (std::find(wait.ids().begin(), wait.ids().end(), raw) == wait.ids().end()) {
          wait.add_ids(raw);
        }
      }
      SendToCore(nullptr, MakeMessage(client.id, Command::kWait, wait));
    } else if (r < 87 && !client.acked.empty()) {
      wire::Cancel cancel;
      cancel.add_ids(std::string(client.acked[Below(client.acked.size())].Bytes()));
      SendToCore(nullptr, MakeMessage(client.id, Command::kCancel, cancel));
    } else if (r < 92) {
      wire::Sentinel sentinel;
      sentinel.set_queue(kQueues[Below(kQueues.size())]);
      SendToCore(nullptr, MakeMessage(client.id, Command::kSentinel, sentinel));
    }
  }

  void ClientReceive(SimClient& client, const Message& message) {
    if (message.command != Command::kSubmitted) return;
    wire::Submitted submitted;
    submitted.ParseFromString(message.body);
    for (const wire::SubmitAck& ack : submitted.acks()) {
      if (auto id = JobId::FromBytes(ack.id())) {
        SIM_EXPECT(jobs_.count(*id) > 0, "acknowledged an id the core never accepted");
        client.acked.push_back(*id);
      }
    }
  }

  uint64_t seed_;
  bool verbose_;
  std::mt19937_64 rng_;
  SimNetwork net_;
  FakeClock clock_;
  TimeMs start_ms_ = 0;
  uint64_t steps_ = 0;
  std::unique_ptr<BrokerCore> core_;
  Effects effects_;

  std::vector<SimWorker> workers_;
  std::vector<SimClient> clients_;

  std::map<JobId, JobModel> jobs_;
  std::map<std::string, QueueModel> queues_;
  std::map<JobId, Lease> leases_;
  std::vector<std::pair<JobId, Lease>> early_dispatch_;
  std::map<std::string, uint64_t> session_;
  uint64_t next_session_ = 0;
  std::set<std::string> registered_;
  std::map<std::string, TimeMs> last_heard_ms_;
  std::string expect_removal_;
  bool in_submit_ = false;
  std::set<std::pair<std::string, JobId>> watching_;
  std::map<std::pair<std::string, JobId>, int> extra_outcomes_;
  std::map<std::pair<std::string, JobId>, int> outcomes_sent_;
};

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(BrokerSimTest, InvariantsHoldUnderFaults) {
  std::signal(SIGABRT, PrintReplayOnAbort);
  const char* one = std::getenv("JOBQ_SIM_SEED");
  const bool replay = one != nullptr && *one != '\0';
  const uint64_t first = replay ? std::strtoull(one, nullptr, 10) : 1;
  const uint64_t count = replay ? 1 : EnvNumber("JOBQ_SIM_SEEDS", 1000);
  int failures = 0;
  size_t jobs = 0;
  for (uint64_t seed = first; seed < first + count && failures < 3; ++seed) {
    g_current_seed = static_cast<std::sig_atomic_t>(seed);
    Simulation simulation(seed, replay);
    std::string failure = simulation.Run();
    jobs += simulation.jobs();
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << failure << "\nreplay: JOBQ_SIM_SEED=" << seed
                    << " ./build/tests/sim/broker_sim_test";
    }
  }
  std::printf("simulated %llu seed(s), %zu jobs\n", static_cast<unsigned long long>(count), jobs);
  std::signal(SIGABRT, SIG_DFL);
}

}  // namespace
}  // namespace jobq::testing
