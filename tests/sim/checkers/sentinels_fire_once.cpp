#include "tests/sim/checkers/sentinels_fire_once.h"

namespace jobq::testing {

using broker::core::Effects;
using broker::core::SentinelMark;

const SentinelMark& SentinelsFireOnce::Added(const std::string& queue_name, const Effects& effects,
                                             size_t added_index) const {
  SIM_EXPECT(added_index < effects.sentinels_added.size(),
             "a sentinel for " + queue_name + " was not added");
  const SentinelMark& mark = effects.sentinels_added[added_index];
  SIM_EXPECT(mark.queue == queue_name, "sentinel for " + queue_name + " added to " + mark.queue);
  SIM_EXPECT(!model_.sentinels().count(mark.id), "sentinel id reused: " + Hex(mark.id));
  return mark;
}

void SentinelsFireOnce::CheckAddedCount(const Effects& effects, size_t expected,
                                        Command command) const {
  SIM_EXPECT(effects.sentinels_added.size() == expected,
             std::to_string(effects.sentinels_added.size()) + " sentinel(s) added by " +
                 CommandName(command) + ", expected " + std::to_string(expected));
}

void SentinelsFireOnce::CheckAsked(const SentinelMark& mark) const {
  SIM_EXPECT(model_.sentinels().count(mark.id), "a sentinel nobody asked for in " + mark.queue);
}

void SentinelsFireOnce::CheckFiring(const JobId& id) const {
  auto found = model_.sentinels().find(id);
  SIM_EXPECT(found != model_.sentinels().end() && !found->second.fired,
             "an unknown or fired sentinel fired: " + Hex(id));
  const SentinelModel& sentinel = found->second;
  const QueueModel& queue = model_.queues().at(sentinel.queue);
  SIM_EXPECT(sentinel.index == queue.fired,
             "sentinel " + std::to_string(sentinel.index + 1) + " of " + sentinel.queue +
                 " fired before sentinel " + std::to_string(queue.fired + 1));
  for (size_t e = 0; e <= sentinel.index && e < queue.pending_by_epoch.size(); ++e) {
    SIM_EXPECT(queue.pending_by_epoch[e] == 0, "sentinel " + std::to_string(sentinel.index + 1) +
                                                   " of " + sentinel.queue + " fired while " +
                                                   std::to_string(queue.pending_by_epoch[e]) +
                                                   " job(s) ahead of it were never dispatched");
  }
}

void SentinelsFireOnce::CheckDispatched(const JobId& id) const {
  const JobModel& model = model_.jobs().at(id);
  if (model.outside_epochs) {
    return;
  }
  auto queue = model_.queues().find(model.queue);
  for (size_t e = 0; e < model.epoch; ++e) {
    SIM_EXPECT(queue->second.pending_by_epoch[e] == 0,
               "sentinel order: " + Hex(id) + " (behind sentinel " + std::to_string(model.epoch) +
                   " of " + model.queue + ") dispatched while " +
                   std::to_string(queue->second.pending_by_epoch[e]) +
                   " job(s) ahead of sentinel " + std::to_string(e + 1) + " were never dispatched");
  }
}

void SentinelsFireOnce::CheckRemovalStored(const JobId& id, uint64_t batch) const {
  auto durable = model_.durable_sentinels().find(id);
  SIM_EXPECT(
      durable != model_.durable_sentinels().end() && !durable->second.fired,
      "batch " + std::to_string(batch) + " removes sentinel " + Hex(id) + ", not in the store");
}

void SentinelsFireOnce::OnSentinelLeaves(const broker::core::Outbound& out,
                                         const Release& release) {
  const auto& sentinel = static_cast<const wire::Sentinel&>(*out.body);
  auto fired = release.fired.find(sentinel.queue());
  if (fired == release.fired.end()) {
    return;
  }
  for (const JobId& id : fired->second) {
    auto durable = model_.durable_sentinels().find(id);
    SIM_EXPECT(durable != model_.durable_sentinels().end() && durable->second.fired,
               "SENTINEL of " + Hex(id) + " (" + sentinel.queue() +
                   ") left before its removal was committed");
    auto [firing, first] = firings_.emplace(id, release.step);
    SIM_EXPECT(firing->second == release.step, "sentinel " + Hex(id) + " of " + sentinel.queue() +
                                                   " fired twice: its SENTINELs left at steps " +
                                                   std::to_string(firing->second) + " and " +
                                                   std::to_string(release.step));
    env_.coverage.sentinels_fired += first ? 1 : 0;
  }
}

void SentinelsFireOnce::OnHeldLost(const Release& release) {
  // A firing whose removal reached the disk just before the crash is over,
  // its SENTINELs lost (at most once, as with an inline commit: the broker
  // cannot die between a commit and its sends and know it).
  for (const auto& [queue, ids] : release.fired) {
    for (const JobId& id : ids) {
      auto durable = model_.durable_sentinels().find(id);
      if (durable != model_.durable_sentinels().end() && durable->second.fired &&
          !firings_.count(id) && firings_lost_.insert(id).second) {
        env_.Trace("sentinel ", Hex(id), " of ", queue, " fired; its SENTINELs are lost");
        ++env_.coverage.sentinel_firings_lost;
      }
    }
  }
}

void SentinelsFireOnce::CheckRecovered(const broker::store::Recovered& recovered) const {
  std::map<JobId, std::string> unfired;
  for (const auto& [id, sentinel] : model_.durable_sentinels()) {
    if (!sentinel.fired) {
      unfired[id] = sentinel.queue;
    }
  }
  std::map<JobId, std::string> stored;
  for (const SentinelMark& mark : recovered.sentinels) {
    stored[mark.id] = mark.queue;
  }
  SIM_EXPECT(stored == unfired, "the store holds " + std::to_string(stored.size()) +
                                    " sentinel(s), the model expects " +
                                    std::to_string(unfired.size()));
}

void SentinelsFireOnce::CheckNoneLeft(const broker::store::Recovered& recovered) const {
  CheckRecovered(recovered);
  SIM_EXPECT(recovered.sentinels.empty(), "the store still holds fired sentinels");
}

}  // namespace jobq::testing
