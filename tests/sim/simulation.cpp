#include "tests/sim/simulation.h"

#include <map>
#include <optional>
#include <sstream>
#include <utility>

namespace jobq::testing {

using broker::core::CoreOptions;
using broker::core::Effects;
using broker::core::Outbound;
using broker::core::Socket;
using broker::store::Recovered;

CoreOptions Simulation::OptionsFor(SimEnv& env) {
  CoreOptions options;
  options.heartbeat_interval_ms = kHeartbeatMs;
  options.liveness_misses = kLivenessMisses;
  options.result_ttl_ms = TimeMs{1} << 40;
  options.lost_leases_max = 5;
  // Crashed workers are common here: poison must not end most jobs.
  options.poison_after = 3 + static_cast<uint32_t>(env.Below(3));
  // Short graces and backoffs, so that leases expire and retries come back
  // within a run.
  static constexpr TimeMs kGraces[] = {200, 1000, 5000};
  options.lease_grace_ms = kGraces[env.Below(3)];
  options.max_attempts = 1 + static_cast<uint32_t>(env.Below(3));
  options.backoff_ms = 1 + static_cast<TimeMs>(env.Below(300));
  options.backoff_max_ms = 2000;
  if (env.Chance(50)) {
    options.queue_defaults["q1"] = {3, 20};
  }
  options.seed = env.rng();
  return options;
}

Simulation::Simulation(uint64_t seed, bool verbose)
    : env_(seed, verbose),
      options_(OptionsFor(env_)),
      crash_one_in_(env_.Chance(20) ? 0 : 100 + env_.Below(300)),
      model_(env_, options_, checks_),
      checks_(env_, model_),
      workers_(env_, model_, checks_),
      clients_(env_, checks_),
      broker_(env_, options_, model_, checks_,
              [this](const Outbound& out, Release& release) { Let(out, release); }),
      limits_(env_.Chance(50)) {}

std::string Simulation::Run() {
  try {
    RunPhases();
  } catch (const SimFailure& failure) {
    std::ostringstream out;
    out << "seed " << env_.seed << " at t=" << env_.Elapsed() << "ms step " << env_.steps
        << " (after " << env_.restarts << " restart(s)): " << failure.what;
    return out.str();
  }
  return "";
}

void Simulation::RunPhases() {
  broker_.Start();
  fault_iterations_ = 600 + env_.Below(600);
  Step([](Effects*) {}, [](const Effects&) {}, false);
  Populate();
  FaultPhase();
  QuietPhase();
  CheckAllWritten();
}

void Simulation::Populate() {
  // Most runs are small, as they always were: many faults per job, and
  // fast. Some have tens of workers; a few are crowds, where HELLO storms
  // after a crash, many workers per queue and many clients re-sending at
  // once happen. A crowd's run is shorter and its load only a little
  // higher: the core checks its invariants over every job at every step,
  // so a crowd's cost grows with steps times jobs.
  uint64_t workers;
  uint64_t clients;
  const uint64_t size = env_.Below(100);
  if (size < 87) {
    workers = 2 + env_.Below(4);
    clients = 1 + env_.Below(3);
  } else if (size < 98) {
    workers = 6 + env_.Below(35);
    clients = 3 + env_.Below(8);
  } else {
    workers = 100 + env_.Below(201);
    clients = 10 + env_.Below(31);
    fault_iterations_ = 400 + env_.Below(400);
  }
  for (uint64_t i = 0; i < workers; ++i) {
    workers_.Spawn(std::nullopt);
  }
  if (env_.Chance(15)) {
    workers_.Spawn(std::nullopt, /*broken=*/true);
  }
  for (uint64_t i = 0; i < clients; ++i) {
    clients_.Add();
  }
  client_actions_ = 1 + clients / 10;
  env_.coverage.crowded_runs += workers >= 100 ? 1 : 0;
}

void Simulation::FaultPhase() {
  for (uint64_t i = 0; i < fault_iterations_; ++i) {
    uint64_t r = env_.Below(100);
    if (r < 40) {
      DeliverOne();  // between other events, when one is due
    } else if (r < 50) {
      for (uint64_t n = 0; n < client_actions_; ++n) {
        clients_.Act();
      }
    } else if (r < 52) {
      workers_.Spawn(std::nullopt);
    } else if (r < 53 && limits_) {
      ChangeLimit();
    } else {
      // The broker reads whatever has arrived before time moves on: a
      // backlog would only add queueing delays no real broker has.
      while (DeliverOne()) {
      }
      AdvanceTime(1 + static_cast<TimeMs>(env_.Below(150)), /*faults=*/true);
    }
  }
}

void Simulation::ChangeLimit() {
  // Fast enough that the quiet phase drains the queues in about the time
  // it always took; tight enough to hold jobs back while faults happen.
  broker::core::LimitRecord record;
  record.queue = kQueues[env_.Below(kQueues.size())];
  record.task = env_.Chance(30) ? "t" : "";
  if (env_.Chance(25)) {
    Step([&](Effects* effects) { broker_.core().ClearLimit(record.queue, record.task, effects); },
         [](const Effects&) {}, PlanCrash());
    return;
  }
  static constexpr TimeMs kPeriodsMs[] = {20, 50, 100};
  const bool rate = env_.Chance(60);
  if (rate) {
    record.rate = {1 + static_cast<int64_t>(env_.Below(3)), kPeriodsMs[env_.Below(3)]};
    record.burst = 1 + static_cast<int64_t>(env_.Below(4));
  }
  if (!rate || env_.Chance(50)) {
    record.concurrency = 1 + static_cast<int64_t>(env_.Below(3));
  }
  env_.Trace("limit ", record.queue, "/", record.task, ": ", record.rate.count, " per ",
             record.rate.period_ms, " ms, burst ", record.burst, ", cap ", record.concurrency);
  Step(
      [&](Effects* effects) {
        absl::StatusOr<broker::core::LimitRecord> set =
            broker_.core().SetLimit(record, env_.Now(), effects);
        SIM_EXPECT(set.ok(),
                   "SetLimit refused a valid limit: " + std::string(set.status().message()));
      },
      [](const Effects&) {}, PlanCrash());
}

void Simulation::QuietPhase() {
  // No faults, no crashes; stalled workers wake; every queue with work gets
  // a worker; every job must finish.
  fault_steps_ = env_.steps;
  env_.faults = false;
  env_.net.set_faults(false);
  workers_.WakeAll();
  env_.Trace("--- quiet phase ---");
  const TimeMs quiet_deadline_ms = env_.Now() + 600'000;
  while (true) {
    while (DeliverOne()) {
    }
    const std::string unsettled = checks_.liveness.Unsettled(broker_.core(), workers_, clients_);
    if (unsettled.empty()) {
      break;
    }
    SIM_EXPECT(env_.Now() <= quiet_deadline_ms, "liveness: after the quiet phase, " + unsettled);
    workers_.EnsureConsumers();
    AdvanceTime(50, /*faults=*/false);
  }
  model_.SweepChecks(broker_.core());
  env_.coverage.workers_max = workers_.all().size();
  env_.coverage.clients_max = clients_.all().size();
}

void Simulation::CheckAllWritten() {
  broker_.Flush();
  SIM_EXPECT(broker_.idle(), "writes or messages left behind");
  const Recovered recovered = broker_.Recover();
  checks_.acknowledged.CheckAllWritten(recovered);
  checks_.sentinels.CheckNoneLeft(recovered);
}

bool Simulation::PlanCrash() {
  return env_.faults && crash_one_in_ != 0 && env_.Below(crash_one_in_) == 0;
}

template <typename Input, typename AfterInput>
void Simulation::Step(Input input, AfterInput after_input, bool crash) {
  ++env_.steps;
  Effects& effects = broker_.effects();
  effects.Clear();
  input(&effects);
  broker_.core().Tick(env_.Now(), &effects);
  broker_.core().CheckInvariants();
  after_input(effects);
  model_.AfterStep(effects, broker_.core());
  checks_.limits.AfterStep(effects, broker_.core());
  broker_.CommitAndSend(model_.TakeStepRelease(), crash);
  if (crash) {
    broker_.Crash();
    Restart();
  }
}

void Simulation::Restart() {
  ++env_.restarts;
  env_.net.BrokerCrashed();
  // The downtime also keeps the ids of the next life above this one's (ids
  // are time-ordered), as a real restart does.
  env_.clock.AdvanceMs(1 + static_cast<TimeMs>(env_.Below(2000)));
  env_.Trace("=== broker restart ", env_.restarts, " ===");
  Recovered recovered = broker_.Restart(env_.restarts);
  checks_.acknowledged.CheckRecovered(recovered);
  checks_.progress.CheckRecovered(recovered.jobs);
  checks_.sentinels.CheckRecovered(recovered);
  // The new broker knows what the store holds, no worker and no watcher;
  // jobs that were running wait for their workers until the liveness
  // window and grace are over.
  model_.RollBack(env_.Now() + kSilenceMaxMs + options_.lease_grace_ms);
  const std::vector<broker::core::LimitRecord> limits = recovered.limits;
  Step(
      [&](Effects*) {
        broker_.core().RestoreWorkflows(std::move(recovered.workflows));
        broker_.core().Restore(std::move(recovered.jobs), std::move(recovered.sentinels),
                               env_.Now());
        broker_.core().RestoreLimits(std::move(recovered.limits), env_.Now());
        checks_.limits.CheckRestored(limits, broker_.core());
      },
      [](const Effects&) {}, false);
  model_.SweepChecks(broker_.core());
  workers_.BrokerRestarted();
  clients_.BrokerRestarted();
}

void Simulation::AdvanceTime(TimeMs delta_ms, bool faults) {
  // The writer finishes batches meanwhile; the pipeline lets out what waited.
  const TimeMs until_ms = env_.Now() + delta_ms;
  broker_.CommitDue(until_ms);
  env_.clock.AdvanceMs(until_ms - env_.Now());
  Step([](Effects*) {}, [](const Effects&) {}, PlanCrash());
  workers_.Time(faults);
  clients_.Time();
}

bool Simulation::DeliverOne() {
  std::optional<Message> message = env_.net.TakeDue(env_.Now());
  if (!message) {
    return false;
  }
  if (message->to_core) {
    DeliverToCore(*message);
  } else if (message->worker_link) {
    workers_.Receive(*message);
  } else {
    clients_.Receive(*message);
  }
  return true;
}

void Simulation::DeliverToCore(const Message& message) {
  env_.Trace("-> core from ", message.peer, ": ", CommandName(message.command));
  const bool crash = PlanCrash();
  const TimeMs now_ms = env_.Now();
  if (!message.worker_link) {
    model_.BeforeClientMessage(message);
    Step(
        [&](Effects* effects) {
          broker_.core().OnClientMessage(message.peer, message.command, message.body, now_ms,
                                         effects);
        },
        [&](const Effects& effects) {
          model_.AfterClientMessage(message, effects, broker_.core());
        },
        crash);
    return;
  }
  std::map<JobId, Prediction> predictions =
      model_.BeforeWorkerMessage(message, !workers_.IsBroken(message.peer));
  std::optional<ProgressKept::Before> progress;
  if (message.command == Command::kProgress) {
    progress = checks_.progress.BeforeProgress(message.peer, message.body, broker_.core());
  }
  Step(
      [&](Effects* effects) {
        broker_.core().OnWorkerMessage(message.peer, message.command, message.body, now_ms,
                                       effects);
      },
      [&](const Effects&) {
        model_.AfterResults(message.peer, predictions, broker_.core());
        if (progress) {
          checks_.progress.AfterProgress(*progress, broker_.core(), now_ms, env_.coverage);
        }
      },
      crash);
}

void Simulation::Let(const Outbound& out, Release& release) {
  checks_.OnLeaves(out, release);
  Message message;
  message.to_core = false;
  message.worker_link = out.socket == Socket::kBackend;
  message.peer = out.routing_id;
  message.command = out.command;
  message.body = out.body->SerializeAsString();
  env_.Trace("core -> ", out.routing_id, ": ", CommandName(out.command));
  if (!env_.net.Send(std::move(message), env_.Now())) {
    if (out.socket == Socket::kBackend) {
      workers_.LinkBroke(out.routing_id);
    } else {
      clients_.LinkBroke(out.routing_id);
    }
  }
}

}  // namespace jobq::testing
