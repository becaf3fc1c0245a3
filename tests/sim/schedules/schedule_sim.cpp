#include "tests/sim/schedules/schedule_sim.h"

#include <google/protobuf/util/message_differencer.h>

#include <iterator>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/core/schedule_spec.h"
#include "tests/sim/sim_env.h"

namespace jobq::testing {
namespace {

using broker::core::Outbound;
using broker::net::OwnedBatch;

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

broker::core::CoreOptions Options() {
  broker::core::CoreOptions options;
  options.result_ttl_ms = TimeMs{1} << 40;  // every job stays to be checked
  return options;
}

}  // namespace

ScheduleSim::ScheduleSim(uint64_t seed)
    : rng_(seed),
      process_("schedule-sim", seed, &rng_, &clock_, Options(), /*worker_capacity=*/2,
               {.on_sent = [](const Outbound&) {},
                .on_committed = [this](const OwnedBatch& batch) { OnCommitted(batch); },
                .on_recovered =
                    [this](const broker::store::Recovered& recovered) { OnRecovered(recovered); },
                .check = [this] { CheckCore(); }}) {
  clock_.AdvanceMs(static_cast<TimeMs>(Below(3'600'000)));
}

std::string ScheduleSim::Run() {
  return process_.Run([this] {
    process_.Start();
    const uint64_t steps = 300 + Below(300);
    for (uint64_t step = 0; step < steps; ++step) {
      process_.set_step(step);
      Operate();
    }
    process_.set_step(steps);
    // Everything gathered reaches the disk, which must then hold what the
    // core has.
    process_.Drain();
    absl::StatusOr<broker::store::Recovered> recovered = process_.store()->Recover();
    SIM_EXPECT(recovered.ok(), std::string(recovered.status().message()));
    SIM_EXPECT(recovered->schedules.size() == process_.core()->schedule_count(),
               "the store holds every schedule the core has");
  });
}

void ScheduleSim::OnRecovered(const broker::store::Recovered& recovered) {
  SIM_EXPECT(recovered.schedules.size() == committed_schedules_.size(),
             absl::StrCat("recovered ", recovered.schedules.size(),
                          " schedules; the committed batches wrote ", committed_schedules_.size()));
  for (const ::jobq::store::ScheduleRecord& record : recovered.schedules) {
    auto committed = committed_schedules_.find(record.spec().name());
    SIM_EXPECT(committed != committed_schedules_.end() &&
                   google::protobuf::util::MessageDifferencer::Equals(record, committed->second),
               "schedule " + record.spec().name() + " recovered as it was committed");
  }
}

void ScheduleSim::Operate() {
  const uint64_t r = Below(100);
  if (r < 8) {
    AddRandomSchedule();
  } else if (r < 11) {
    process_.core()
        ->PauseSchedule(RandomName(), Below(2) == 0, clock_.NowMs(), process_.effects())
        .IgnoreError();
    process_.Step();
  } else if (r < 12) {
    process_.core()->RemoveSchedule(RandomName(), process_.effects()).IgnoreError();
    process_.Step();
  } else if (r < 14) {
    process_.core()->RunSchedule(RandomName(), clock_.NowMs(), process_.effects()).IgnoreError();
    process_.Step();
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
  process_.core()
      ->AddSchedule(spec, clock_.NowMs(), process_.effects())
      .IgnoreError();  // a taken name: refused
  process_.Step();
}

void ScheduleSim::AdvanceTime(TimeMs delta_ms) {
  clock_.AdvanceMs(delta_ms);
  process_.effects()->Clear();
  process_.Step();
}

void ScheduleSim::FinishSomeJob() {
  if (process_.running().empty()) {
    return AdvanceTime(1);
  }
  wire::JobResult result = process_.ResultForSomeJob();
  result.set_ok(true);
  process_.Finish(result);
}

void ScheduleSim::OnCommitted(const OwnedBatch& batch) {
  // The disk's model: no firing key ever committed with a second job.
  for (const broker::core::Job& job : batch.changed) {
    if (!ParseFiringKey(job.spec.idempotency_key())) {
      continue;
    }
    auto [first, inserted] = committed_firings_.emplace(job.spec.idempotency_key(), job.id);
    SIM_EXPECT(inserted || first->second == job.id,
               "firing " + job.spec.idempotency_key() + " committed with two jobs");
    figures_.firings_committed += inserted ? 1 : 0;
  }
  for (const std::string& name : batch.schedules_erased) {
    committed_schedules_.erase(name);
  }
  for (const ::jobq::store::ScheduleRecord& record : batch.schedules_changed) {
    auto was = committed_schedules_.find(record.spec().name());
    SIM_EXPECT(was == committed_schedules_.end() ||
                   was->second.created_ms() != record.created_ms() ||
                   record.cursor_ms() >= was->second.cursor_ms(),
               "schedule " + record.spec().name() + "'s committed cursor went back");
    committed_schedules_[record.spec().name()] = record;
  }
}

void ScheduleSim::Crash() {
  process_.Stop();
  ++figures_.restarts;
  if (Below(4) == 0) {
    ++figures_.long_downtimes;
    clock_.AdvanceMs(2 * 60'000 + static_cast<TimeMs>(Below(600'000)));
  } else {
    clock_.AdvanceMs(1 + static_cast<TimeMs>(Below(3000)));
  }
  process_.Start();
}

void ScheduleSim::CheckCore() {
  std::vector<const broker::core::Job*> jobs;
  broker::core::JobFilter all;
  all.limit = 1'000'000;
  for (;;) {
    broker::core::JobPage page = process_.core()->ListJobs(all);
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
    SIM_EXPECT(keys.insert(job->spec.idempotency_key()).second,
               "two kept jobs for firing " + job->spec.idempotency_key());
    SIM_EXPECT(job->submitted_ms >= firing->second,
               "firing " + job->spec.idempotency_key() + " made its job before its time");
  }
  ::jobq::admin::ListSchedulesResponse listed;
  process_.core()->FillSchedules(broker::core::kSchedulesMax, listed.mutable_schedules());
  uint64_t skipped = 0;
  for (const ::jobq::admin::ScheduleInfo& info : listed.schedules()) {
    skipped += info.skipped();
  }
  figures_.skipped = std::max(figures_.skipped, skipped);
}

}  // namespace jobq::testing
