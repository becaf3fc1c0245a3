#include "tests/sim/schedules/schedule_sim.h"

#include <google/protobuf/util/message_differencer.h>

#include <stdexcept>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/core/schedule_spec.h"
#include "tests/sim/sim_disk.h"

namespace jobq::testing {
namespace {

using broker::core::BrokerCore;
using broker::core::Outbound;
using broker::net::CommitPipeline;
using broker::net::OwnedBatch;
using broker::store::SqliteStore;

struct Broken {
  std::string what;
};

#define SCHEDULE_SIM_EXPECT(condition, message) \
  do {                                          \
    if (!(condition)) {                         \
      throw Broken{message};                    \
    }                                           \
  } while (false)

constexpr char kPrefix[] = "jobq:schedule:";
const char* const kNames[] = {"a", "b", "c", "d", "e", "f"};
const char* const kCrons[] = {"* * * * *", "*/2 * * * *", "30 * * * *"};

// The schedule's name and instant in a firing's key; nullopt for other keys.
std::optional<std::pair<std::string, TimeMs>> ParseFiringKey(const std::string& key) {
  if (!key.starts_with(kPrefix)) {
    return std::nullopt;
  }
  const size_t at = key.rfind('@');
  if (at == std::string::npos) {
    return std::nullopt;
  }
  return std::make_pair(key.substr(sizeof(kPrefix) - 1, at - (sizeof(kPrefix) - 1)),
                        std::stoll(key.substr(at + 1)));
}

}  // namespace

ScheduleSim::ScheduleSim(uint64_t seed)
    : seed_(seed), rng_(seed), path_(SimStorePath("schedule-sim", seed)) {
  clock_.AdvanceMs(static_cast<TimeMs>(Below(3'600'000)));
}

ScheduleSim::~ScheduleSim() {
  pipeline_.reset();
  core_.reset();
  store_.reset();
  RemoveSimStore(path_);
}

std::string ScheduleSim::Run() {
  try {
    RemoveSimStore(path_);
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    SCHEDULE_SIM_EXPECT(store.ok(), std::string(store.status().message()));
    store_ = std::move(*store);
    StartProcess();
    const uint64_t steps = 300 + Below(300);
    for (step_ = 0; step_ < steps; ++step_) {
      Operate();
    }
    // Everything gathered reaches the disk, which must then hold what the
    // core has.
    while (in_flight_ || !pipeline_->idle()) {
      if (in_flight_) {
        CommitInFlight();
      }
      Settle();
    }
    absl::StatusOr<broker::store::Recovered> recovered = store_->Recover();
    SCHEDULE_SIM_EXPECT(recovered.ok(), std::string(recovered.status().message()));
    SCHEDULE_SIM_EXPECT(recovered->schedules.size() == core_->schedule_count(),
                        "the store holds every schedule the core has");
  } catch (const Broken& broken) {
    return absl::StrCat("seed ", seed_, " step ", step_, " (after ", restarts_,
                        " restart(s)): ", broken.what);
  }
  return "";
}

void ScheduleSim::StartProcess() {
  broker::core::CoreOptions options;
  options.seed = seed_ * 1000 + restarts_;
  options.result_ttl_ms = TimeMs{1} << 40;  // every job stays to be checked
  core_ = std::make_unique<BrokerCore>(options);
  pipeline_ = std::make_unique<CommitPipeline>(
      core_.get(), store_.get(),
      [this](const Outbound& out) {
        if (out.command != Command::kDispatch) {
          return;
        }
        for (const wire::DispatchedJob& job :
             static_cast<const wire::Dispatch&>(*out.body).jobs()) {
          running_[*JobId::FromBytes(job.id())] = job.attempt();
        }
      },
      [this](OwnedBatch batch) {
        in_flight_ = std::move(batch);
        in_flight_steps_ = 0;
      });
  absl::StatusOr<broker::store::Recovered> recovered = store_->Recover();
  SCHEDULE_SIM_EXPECT(recovered.ok(), std::string(recovered.status().message()));
  // A restart loses no schedule: exactly what the committed batches wrote.
  SCHEDULE_SIM_EXPECT(
      recovered->schedules.size() == committed_schedules_.size(),
      absl::StrCat("recovered ", recovered->schedules.size(),
                   " schedules; the committed batches wrote ", committed_schedules_.size()));
  for (const ::jobq::store::ScheduleRecord& record : recovered->schedules) {
    auto committed = committed_schedules_.find(record.spec().name());
    SCHEDULE_SIM_EXPECT(
        committed != committed_schedules_.end() &&
            google::protobuf::util::MessageDifferencer::Equals(record, committed->second),
        "schedule " + record.spec().name() + " recovered as it was committed");
  }
  effects_.Clear();
  core_->Restore(std::move(recovered->jobs), std::move(recovered->sentinels), clock_.NowMs());
  core_->RestoreSchedules(std::move(recovered->schedules), clock_.NowMs());
  wire::Hello hello;
  hello.set_name("w");
  hello.set_host("sim");
  wire::PoolCapacity& pool = *hello.add_pools();
  pool.set_kind(wire::KIND_IO);
  pool.set_capacity(2);
  hello.add_queues("default");
  running_.clear();  // the worker dropped what it held; its leases run out
  core_->OnWorkerMessage("w", Command::kHello, hello.SerializeAsString(), clock_.NowMs(),
                         &effects_);
  Step();
}

void ScheduleSim::Step() {
  core_->Tick(clock_.NowMs(), &effects_);
  core_->CheckInvariants();
  Settle();
}

void ScheduleSim::Settle() {
  absl::Status taken = pipeline_->Take(&effects_);
  SCHEDULE_SIM_EXPECT(taken.ok(), std::string(taken.message()));
  effects_.Clear();
  if (in_flight_ && ++in_flight_steps_ > Below(4)) {
    CommitInFlight();
  }
  CheckCore();
}

void ScheduleSim::Operate() {
  const uint64_t r = Below(100);
  if (r < 8) {
    AddRandomSchedule();
  } else if (r < 11) {
    core_->PauseSchedule(RandomName(), Below(2) == 0, clock_.NowMs(), &effects_).IgnoreError();
    Step();
  } else if (r < 12) {
    core_->RemoveSchedule(RandomName(), &effects_).IgnoreError();
    Step();
  } else if (r < 14) {
    core_->RunSchedule(RandomName(), clock_.NowMs(), &effects_).IgnoreError();
    Step();
  } else if (r < 18) {
    Crash();
  } else if (r < 35) {
    FinishSomeJob();
  } else if (r < 37) {
    AdvanceTime(2 * 60'000 + static_cast<TimeMs>(Below(180'000)));  // past the grace
  } else {
    AdvanceTime(1 + static_cast<TimeMs>(Below(2500)));
  }
}

std::string ScheduleSim::RandomName() { return kNames[Below(std::size(kNames))]; }

void ScheduleSim::AddRandomSchedule() {
  ::jobq::admin::ScheduleSpec spec;
  spec.set_name(RandomName());
  if (Below(4) == 0) {
    spec.set_cron(kCrons[Below(std::size(kCrons))]);
    if (Below(2) == 0) {
      spec.set_time_zone("Europe/Berlin");
    }
  } else {
    spec.set_every_ms(1000 * (1 + static_cast<TimeMs>(Below(10))));
  }
  spec.mutable_job()->set_task("noop");
  spec.set_overlap(Below(3) == 0 ? ::jobq::admin::ScheduleSpec::OVERLAP_SKIP
                                 : ::jobq::admin::ScheduleSpec::OVERLAP_ALLOW);
  spec.set_catch_up(static_cast<::jobq::admin::ScheduleSpec::CatchUp>(Below(4)));
  core_->AddSchedule(spec, clock_.NowMs(), &effects_).IgnoreError();  // a taken name: refused
  Step();
}

void ScheduleSim::AdvanceTime(TimeMs delta_ms) {
  clock_.AdvanceMs(delta_ms);
  effects_.Clear();
  Step();
}

void ScheduleSim::FinishSomeJob() {
  if (running_.empty()) {
    return AdvanceTime(1);
  }
  auto it = running_.begin();
  std::advance(it, static_cast<long>(Below(running_.size())));
  wire::WorkerResults results;
  wire::JobResult& result = *results.add_results();
  result.set_id(std::string(it->first.Bytes()));
  result.set_attempt(it->second);
  result.set_ok(true);
  running_.erase(it);
  wire::Credit credit;
  credit.set_kind(wire::KIND_IO);
  credit.set_credits(1);
  effects_.Clear();
  core_->OnWorkerMessage("w", Command::kWorkerResult, results.SerializeAsString(), clock_.NowMs(),
                         &effects_);
  core_->OnWorkerMessage("w", Command::kCredit, credit.SerializeAsString(), clock_.NowMs(),
                         &effects_);
  Step();
}

void ScheduleSim::CommitInFlight() {
  OwnedBatch batch = std::move(*in_flight_);
  in_flight_.reset();
  std::vector<const broker::core::Job*> pointers;
  const absl::Status committed = store_->Commit(broker::net::ViewOf(batch, &pointers));
  SCHEDULE_SIM_EXPECT(committed.ok(), std::string(committed.message()));
  // The disk's model: no firing key ever committed with a second job.
  for (const broker::core::Job& job : batch.changed) {
    if (!ParseFiringKey(job.spec.idempotency_key())) {
      continue;
    }
    auto [first, inserted] = committed_firings_.emplace(job.spec.idempotency_key(), job.id);
    SCHEDULE_SIM_EXPECT(inserted || first->second == job.id,
                        "firing " + job.spec.idempotency_key() + " committed with two jobs");
    figures_.firings_committed += inserted ? 1 : 0;
  }
  for (const std::string& name : batch.schedules_erased) {
    committed_schedules_.erase(name);
  }
  for (const ::jobq::store::ScheduleRecord& record : batch.schedules_changed) {
    auto was = committed_schedules_.find(record.spec().name());
    SCHEDULE_SIM_EXPECT(was == committed_schedules_.end() ||
                            was->second.created_ms() != record.created_ms() ||
                            record.cursor_ms() >= was->second.cursor_ms(),
                        "schedule " + record.spec().name() + "'s committed cursor went back");
    committed_schedules_[record.spec().name()] = record;
  }
  absl::Status released = pipeline_->OnBatchCommitted(absl::OkStatus());
  SCHEDULE_SIM_EXPECT(released.ok(), std::string(released.message()));
}

void ScheduleSim::Crash() {
  if (in_flight_ && Below(2) == 0) {
    CommitInFlight();  // it reached the disk before the process died
  }
  in_flight_.reset();
  pipeline_.reset();  // held messages and gathered writes die with it
  core_.reset();
  ++restarts_;
  ++figures_.restarts;
  if (Below(4) == 0) {
    ++figures_.long_downtimes;
    clock_.AdvanceMs(2 * 60'000 + static_cast<TimeMs>(Below(600'000)));
  } else {
    clock_.AdvanceMs(1 + static_cast<TimeMs>(Below(3000)));
  }
  StartProcess();
}

void ScheduleSim::CheckCore() {
  std::vector<const broker::core::Job*> jobs;
  broker::core::JobFilter all;
  all.limit = 1'000'000;
  for (;;) {
    broker::core::JobPage page = core_->ListJobs(all);
    jobs.insert(jobs.end(), page.jobs.begin(), page.jobs.end());
    if (!page.next_after) {
      break;
    }
    all.after = page.next_after;
  }
  std::set<std::string> keys;
  for (const broker::core::Job* job : jobs) {
    const std::optional<std::pair<std::string, TimeMs>> firing =
        ParseFiringKey(job->spec.idempotency_key());
    if (!firing) {
      continue;
    }
    SCHEDULE_SIM_EXPECT(keys.insert(job->spec.idempotency_key()).second,
                        "two kept jobs for firing " + job->spec.idempotency_key());
    SCHEDULE_SIM_EXPECT(job->submitted_ms >= firing->second,
                        "firing " + job->spec.idempotency_key() + " made its job before its time");
  }
  ::jobq::admin::ListSchedulesResponse listed;
  core_->FillSchedules(broker::core::kSchedulesMax, listed.mutable_schedules());
  uint64_t skipped = 0;
  for (const ::jobq::admin::ScheduleInfo& info : listed.schedules()) {
    skipped += info.skipped();
  }
  figures_.skipped = std::max(figures_.skipped, skipped);
}

}  // namespace jobq::testing
