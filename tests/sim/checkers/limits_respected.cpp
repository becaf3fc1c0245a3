#include "tests/sim/checkers/limits_respected.h"

#include <algorithm>

#include "broker/core/job_index.h"
#include "jobq/wire.pb.h"

namespace jobq::testing {

using broker::core::BrokerCore;
using broker::core::Effects;
using broker::core::JobFilter;
using broker::core::LimitRecord;

namespace {

std::string Name(const std::pair<std::string, std::string>& key) {
  return broker::core::LimitName(key.first, key.second);
}

}  // namespace

int64_t LimitsRespected::Running(const BrokerCore& core, const Key& key) {
  JobFilter filter;
  filter.state = wire::JOB_STATE_RUNNING;
  filter.queue = key.first;
  filter.task = key.second;
  filter.limit = broker::core::kListExamineMax;
  int64_t running = 0;
  for (const broker::core::Job* job : core.ListJobs(filter).jobs) {
    running += job->state == wire::JOB_STATE_RUNNING && job->spec.queue() == key.first &&
                       (key.second.empty() || job->spec.task() == key.second)
                   ? 1
                   : 0;
  }
  return running;
}

LimitsRespected::Tracked LimitsRespected::Track(const LimitRecord& record, const BrokerCore& core) {
  Tracked tracked;
  tracked.record = record;
  tracked.since_ms = env_.Now();
  tracked.running_allowed = std::max(record.concurrency, Running(core, KeyOf(record)));
  return tracked;
}

void LimitsRespected::AfterStep(const Effects& effects, const BrokerCore& core) {
  for (const LimitRecord& record : effects.limits_changed) {
    if (record.cleared) {
      live_.erase(KeyOf(record));
    } else {
      live_[KeyOf(record)] = Track(record, core);
      ++env_.coverage.limits_set;
    }
  }
  if (live_.empty()) {
    return;
  }
  for (const broker::core::Outbound& out : effects.outbound) {
    if (out.command != Command::kDispatch) {
      continue;
    }
    for (const wire::DispatchedJob& job : static_cast<const wire::Dispatch&>(*out.body).jobs()) {
      for (const Key& key : {Key{job.queue(), ""}, Key{job.queue(), job.task()}}) {
        auto found = live_.find(key);
        if (found != live_.end()) {
          ++found->second.dispatched;
        }
      }
    }
  }
  for (auto& [key, tracked] : live_) {
    const LimitRecord& record = tracked.record;
    if (record.has_rate()) {
      const int64_t elapsed_ms = env_.Now() - tracked.since_ms;
      const int64_t allowed = record.burst + record.rate.count * elapsed_ms / record.rate.period_ms;
      SIM_EXPECT(tracked.dispatched <= allowed,
                 Name(key) + ": " + std::to_string(tracked.dispatched) + " jobs dispatched in " +
                     std::to_string(elapsed_ms) +
                     " ms, above burst + rate x elapsed = " + std::to_string(allowed));
      env_.coverage.limits_at_bound += tracked.dispatched == allowed && tracked.dispatched > 0;
    }
    if (record.concurrency != 0) {
      const int64_t running = Running(core, key);
      SIM_EXPECT(running <= tracked.running_allowed,
                 Name(key) + ": " + std::to_string(running) + " jobs running, above its cap of " +
                     std::to_string(record.concurrency) +
                     " (allowed now: " + std::to_string(tracked.running_allowed) + ")");
      tracked.running_allowed =
          std::max(record.concurrency, std::min(tracked.running_allowed, running));
      env_.coverage.caps_full += running >= record.concurrency ? 1 : 0;
    }
  }
}

void LimitsRespected::OnCommitted(std::span<const LimitRecord> limits) {
  for (const LimitRecord& record : limits) {
    if (record.cleared) {
      committed_.erase(KeyOf(record));
    } else {
      committed_[KeyOf(record)] = record;
    }
  }
}

void LimitsRespected::CheckRestored(const std::vector<LimitRecord>& recovered,
                                    const BrokerCore& core) {
  std::map<Key, LimitRecord> stored;
  for (const LimitRecord& record : recovered) {
    stored[KeyOf(record)] = record;
  }
  SIM_EXPECT(stored == committed_, "the store gave back " + std::to_string(stored.size()) +
                                       " limit(s), not the " + std::to_string(committed_.size()) +
                                       " committed");
  std::map<Key, Tracked> live;
  const std::vector<broker::core::LimitView> views = core.Limits(env_.Now());
  SIM_EXPECT(views.size() == committed_.size(), "the restarted core lost a limit");
  for (const broker::core::LimitView& view : views) {
    auto committed = committed_.find(KeyOf(view.record));
    SIM_EXPECT(committed != committed_.end() && committed->second == view.record,
               "the restarted core has " + Name(KeyOf(view.record)) + " not as committed");
    // The same limit keeps counting from when it was set: its bucket
    // restarts empty, so the bound still holds over both lives.
    auto before = live_.find(KeyOf(view.record));
    Tracked tracked = before != live_.end() && before->second.record == view.record
                          ? before->second
                          : Track(view.record, core);
    tracked.running_allowed = std::max(view.record.concurrency, Running(core, KeyOf(view.record)));
    live[KeyOf(view.record)] = tracked;
  }
  env_.coverage.limits_restored += views.size();
  live_ = std::move(live);
}

}  // namespace jobq::testing
