#include "tests/sim/sim_broker.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "broker/store/deposed.h"
#include "tests/sim/checkers/checkers.h"
#include "tests/sim/sim_disk.h"

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::Outbound;
using broker::core::Socket;
using broker::net::CommitPipeline;
using broker::net::OwnedBatch;
using broker::store::Recovered;
using broker::store::SqliteStore;

SimBroker::SimBroker(SimEnv& env, const broker::core::CoreOptions& options, SimModel& model,
                     Checkers& checks, LetFn let)
    : env_(env), options_(options), model_(model), checks_(checks), let_(std::move(let)) {
  // One file per process and seed: runs of several processes
  // (JOBQ_SIM_FIRST_SEED) may share the directory.
  path_ = SimStorePath("sim", env.seed);
}

void SimBroker::Start() {
  RemoveSimStore(path_);
  OpenStore();
  StartProcess(0);
}

SimBroker::~SimBroker() {
  pipeline_.reset();
  core_.reset();
  store_.reset();
  RemoveSimStore(path_);
}

void SimBroker::OpenStore() {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  SIM_EXPECT(store.ok(), "the store cannot be opened: " + std::string(store.status().message()));
  store_ = std::move(*store);
}

void SimBroker::StartProcess(uint64_t restarts) {
  broker::core::CoreOptions options = options_;
  options.seed = options_.seed + restarts;
  core_ = std::make_unique<BrokerCore>(options);
  pipeline_ = std::make_unique<CommitPipeline>(
      core_.get(), store_.get(), [this](const Outbound& out) { Send(out); },
      [this](OwnedBatch batch) { StartBatch(std::move(batch)); });
}

size_t SimBroker::MaySendNow() const {
  const bool hold =
      effects_.has_store_writes() || pipeline_->batch_in_flight() || pipeline_->held() > 0;
  if (!hold) {
    return effects_.outbound.size();
  }
  return std::count_if(effects_.outbound.begin(), effects_.outbound.end(), [](const Outbound& out) {
    return out.socket == Socket::kBackend && out.command != Command::kWorkerSentinel;
  });
}

void SimBroker::CommitAndSend(Release release, bool crash) {
  if (effects_.has_store_writes()) {
    ++unwritten_steps_;
  }
  release.step = env_.steps;
  for (const broker::core::SentinelMark& mark : effects_.sentinels_added) {
    release.sentinels_added.push_back(mark.id);
  }
  auto shared = std::make_shared<Release>(std::move(release));
  for (const Outbound& out : effects_.outbound) {
    pending_[out.body.get()] = Pending{next_order_++, shared};
  }
  dying_ = crash;
  // A crash lets a prefix of them out.
  send_budget_ = crash ? env_.Below(MaySendNow() + 1) : 0;
  died_sending_ = false;
  handed_over_ = false;
  absl::Status taken = pipeline_->Take(&effects_);
  SIM_EXPECT(taken.ok(), "the pipeline failed: " + std::string(taken.message()));
  dying_ = false;
  // Dead before it handed the step's writes over, or just after.
  if (crash && handed_over_ && (died_sending_ || env_.Chance(50))) {
    env_.Trace("batch ", in_flight_->number, " never reached the writer");
    unwritten_steps_ += in_flight_->steps;
    in_flight_.reset();
    ++env_.coverage.crashes_before_hand_over;
  }
}

void SimBroker::Send(const Outbound& out) {
  SIM_EXPECT(!fencing_, "a message left when the store refused the batch it waited for");
  auto found = pending_.find(out.body.get());
  SIM_EXPECT(found != pending_.end(), "the pipeline sent a message twice, or one never made");
  std::shared_ptr<Release> release = std::move(found->second.release);
  pending_.erase(found);
  if (dying_) {
    if (send_budget_ == 0) {
      died_sending_ = true;
      return;
    }
    --send_budget_;
  }
  let_(out, *release);
}

void SimBroker::StartBatch(OwnedBatch batch) {
  SIM_EXPECT(!in_flight_, "the pipeline handed a batch over while one was in flight");
  InFlight in_flight;
  in_flight.number = ++batches_;
  in_flight.steps = unwritten_steps_;
  unwritten_steps_ = 0;
  in_flight.image = model_.ImageOf(batch, in_flight.number);
  in_flight.batch = std::move(batch);
  // A few ms, sometimes much longer (a busy disk).
  const uint64_t r = env_.Below(100);
  const TimeMs latency_ms = r < 85   ? 1 + static_cast<TimeMs>(env_.Below(4))
                            : r < 97 ? 5 + static_cast<TimeMs>(env_.Below(46))
                                     : 50 + static_cast<TimeMs>(env_.Below(400));
  in_flight.done_ms = env_.Now() + latency_ms;
  ++env_.coverage.batches;
  env_.coverage.multi_step_batches += in_flight.steps > 1 ? 1 : 0;
  in_flight_ = std::move(in_flight);
  handed_over_ = true;
}

void SimBroker::CommitInFlight() {
  InFlight& in_flight = *in_flight_;
  std::vector<const broker::core::Job*> pointers;
  absl::Status committed = store_->Commit(broker::net::ViewOf(in_flight.batch, &pointers));
  SIM_EXPECT(committed.ok(), "store commit failed: " + std::string(committed.message()));
  model_.Committed(in_flight.batch, std::move(in_flight.image), in_flight.number);
  checks_.limits.OnCommitted(in_flight.batch.limits);
  env_.Trace("batch ", in_flight.number, " committed (", in_flight.batch.changed.size(),
             " job(s), ", in_flight.steps, " step(s))");
  in_flight_.reset();
}

void SimBroker::CommitDue(TimeMs until_ms) {
  while (in_flight_ && in_flight_->done_ms <= until_ms) {
    env_.clock.AdvanceMs(std::max<TimeMs>(0, in_flight_->done_ms - env_.Now()));
    CommitInFlight();
    absl::Status released = pipeline_->OnBatchCommitted(absl::OkStatus());
    SIM_EXPECT(released.ok(), "the pipeline failed: " + std::string(released.message()));
  }
}

void SimBroker::Flush() {
  while (in_flight_) {
    CommitDue(in_flight_->done_ms);
  }
}

void SimBroker::Crash() {
  ++env_.coverage.crashes;
  uint64_t steps_lost = unwritten_steps_;
  if (in_flight_) {
    if (env_.Chance(40)) {
      CommitInFlight();
      ++env_.coverage.crashes_in_flight_committed;
    } else if (env_.Chance(33)) {
      // Not a crash but a step-down: a standby took the lease over (a
      // shared postgres store), so the store refuses the batch (fencing).
      // The pipeline must let nothing out that waited for it; then the
      // broker stops, as after a crash, and the next one recovers.
      steps_lost += in_flight_->steps;
      in_flight_.reset();
      fencing_ = true;
      absl::Status released = pipeline_->OnBatchCommitted(
          broker::store::DeposedError("a standby took the lease over (simulated)"));
      fencing_ = false;
      SIM_EXPECT(!released.ok() && broker::store::IsDeposed(released),
                 "the pipeline took a refused batch for a committed one");
      SIM_EXPECT(!in_flight_, "the pipeline handed a batch over after one was refused");
      ++env_.coverage.commits_fenced;
    } else {
      steps_lost += in_flight_->steps;
      ++env_.coverage.crashes_in_flight_lost;
      in_flight_.reset();
    }
  }
  // What the pipeline held, in the order the core made it.
  std::vector<const Pending*> held;
  held.reserve(pending_.size());
  for (const auto& [body, pending] : pending_) {
    held.push_back(&pending);
  }
  std::sort(held.begin(), held.end(),
            [](const Pending* a, const Pending* b) { return a->order < b->order; });
  const Release* previous = nullptr;
  for (const Pending* pending : held) {
    if (pending->release.get() != previous) {
      checks_.sentinels.OnHeldLost(*pending->release);
      previous = pending->release.get();
    }
  }
  env_.Trace("broker crashes: ", steps_lost, " step(s) of writes and ", held.size(),
             " held message(s) lost");
  env_.coverage.steps_lost += steps_lost;
  env_.coverage.held_lost += held.size();
  pending_.clear();
  unwritten_steps_ = 0;
  // Everything of the process goes: what the pipeline held and gathered,
  // the core, and its handle on the file (the file stays).
  pipeline_.reset();
  core_.reset();
  store_.reset();
}

Recovered SimBroker::Restart(uint64_t restarts) {
  OpenStore();
  StartProcess(restarts);
  return Recover();
}

Recovered SimBroker::Recover() {
  absl::StatusOr<Recovered> recovered = store_->Recover();
  SIM_EXPECT(recovered.ok(),
             "the store cannot recover: " + std::string(recovered.status().message()));
  return std::move(*recovered);
}

}  // namespace jobq::testing
