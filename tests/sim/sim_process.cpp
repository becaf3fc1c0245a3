#include "tests/sim/sim_process.h"

#include <iterator>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/sim/sim_disk.h"
#include "tests/sim/sim_env.h"

namespace jobq::testing {

SimProcess::SimProcess(const std::string& name, uint64_t seed, std::mt19937_64* rng,
                       FakeClock* clock, const broker::core::CoreOptions& options,
                       uint32_t worker_capacity, Hooks hooks)
    : seed_(seed),
      rng_(rng),
      clock_(clock),
      options_(options),
      worker_capacity_(worker_capacity),
      hooks_(std::move(hooks)),
      path_(SimStorePath(name, seed)) {}

SimProcess::~SimProcess() {
  pipeline_.reset();
  core_.reset();
  store_.reset();
  RemoveSimStore(path_);
}

std::string SimProcess::Run(const std::function<void()>& body) {
  try {
    RemoveSimStore(path_);
    absl::StatusOr<std::unique_ptr<broker::store::SqliteStore>> store =
        broker::store::SqliteStore::Open(path_);
    SIM_EXPECT(store.ok(), std::string(store.status().message()));
    store_ = std::move(*store);
    body();
  } catch (const SimFailure& failure) {
    return absl::StrCat("seed ", seed_, " step ", step_, " (after ", restarts_,
                        " restart(s)): ", failure.what);
  }
  return "";
}

void SimProcess::Start() {
  broker::core::CoreOptions options = options_;
  options.seed = seed_ * 1000 + restarts_;
  core_ = std::make_unique<broker::core::BrokerCore>(options);
  pipeline_ = std::make_unique<broker::net::CommitPipeline>(
      core_.get(), store_.get(),
      [this](const broker::core::Outbound& out) {
        hooks_.on_sent(out);
        if (out.command != Command::kDispatch) {
          return;
        }
        for (const wire::DispatchedJob& job :
             static_cast<const wire::Dispatch&>(*out.body).jobs()) {
          running_[*JobId::FromBytes(job.id())] = job.attempt();
        }
      },
      [this](broker::net::OwnedBatch batch) {
        in_flight_ = std::move(batch);
        in_flight_steps_ = 0;
      });
  absl::StatusOr<broker::store::Recovered> recovered = store_->Recover();
  SIM_EXPECT(recovered.ok(), std::string(recovered.status().message()));
  hooks_.on_recovered(*recovered);
  effects_.Clear();
  core_->RestoreWorkflows(std::move(recovered->workflows));
  core_->Restore(std::move(recovered->jobs), std::move(recovered->sentinels), clock_->NowMs());
  core_->RestoreSchedules(std::move(recovered->schedules), clock_->NowMs());
  running_.clear();  // the worker dropped what it held; its leases run out
  wire::Hello hello;
  hello.set_name("w");
  hello.set_host("sim");
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(worker_capacity_);
  hello.add_queues("default");
  core_->OnWorkerMessage("w", Command::kHello, hello.SerializeAsString(), clock_->NowMs(),
                         &effects_);
  Step();
}

void SimProcess::Stop() {
  if (in_flight_ && Below(2) == 0) {
    CommitInFlight();  // it reached the disk before the process died
  }
  in_flight_.reset();
  pipeline_.reset();  // held messages and gathered writes die with it
  core_.reset();
  ++restarts_;
}

void SimProcess::Step() {
  core_->Tick(clock_->NowMs(), &effects_);
  core_->CheckInvariants();
  Settle();
}

void SimProcess::Settle() {
  absl::Status taken = pipeline_->Take(&effects_);
  SIM_EXPECT(taken.ok(), std::string(taken.message()));
  effects_.Clear();
  if (in_flight_ && ++in_flight_steps_ > Below(4)) {
    CommitInFlight();
  }
  hooks_.check();
}

void SimProcess::Drain() {
  while (in_flight_ || !pipeline_->idle()) {
    if (in_flight_) {
      CommitInFlight();
    }
    Settle();
  }
}

wire::JobResult SimProcess::ResultForSomeJob() {
  auto it = running_.begin();
  std::advance(it, static_cast<long>(Below(running_.size())));
  wire::JobResult result;
  result.set_id(std::string(it->first.Bytes()));
  result.set_attempt(it->second);
  return result;
}

void SimProcess::Finish(const wire::JobResult& result) {
  running_.erase(*JobId::FromBytes(result.id()));
  wire::WorkerResults results;
  *results.add_results() = result;
  wire::Credit credit;
  credit.set_kind(wire::KIND_IO);
  credit.set_credits(1);
  effects_.Clear();
  core_->OnWorkerMessage("w", Command::kWorkerResult, results.SerializeAsString(), clock_->NowMs(),
                         &effects_);
  core_->OnWorkerMessage("w", Command::kCredit, credit.SerializeAsString(), clock_->NowMs(),
                         &effects_);
  Step();
}

void SimProcess::CommitInFlight() {
  broker::net::OwnedBatch batch = std::move(*in_flight_);
  in_flight_.reset();
  std::vector<const broker::core::Job*> pointers;
  const absl::Status committed = store_->Commit(broker::net::ViewOf(batch, &pointers));
  SIM_EXPECT(committed.ok(), std::string(committed.message()));
  hooks_.on_committed(batch);
  absl::Status released = pipeline_->OnBatchCommitted(absl::OkStatus());
  SIM_EXPECT(released.ok(), std::string(released.message()));
}

}  // namespace jobq::testing
