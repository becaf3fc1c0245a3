#include "broker/core/schedule_firings.h"

#include <algorithm>
#include <deque>
#include <optional>

namespace jobq::broker::core {

FiringPlan PlanFirings(const Schedule& timing, ::jobq::admin::ScheduleSpec::CatchUp policy,
                       TimeMs cursor_ms, TimeMs now_ms, TimeMs missed_through_ms) {
  FiringPlan plan;
  plan.cursor_ms = cursor_ms;
  size_t missed_kept_max = 0;
  switch (policy) {
    case ::jobq::admin::ScheduleSpec::CATCH_UP_NONE:
      missed_kept_max = 0;
      break;
    case ::jobq::admin::ScheduleSpec::CATCH_UP_ALL:
      missed_kept_max = kCatchUpFiringsMax;
      break;
    default:  // ONE, and UNSPECIFIED which means it
      missed_kept_max = 1;
      break;
  }
  std::deque<TimeMs> missed;  // the latest missed_kept_max of them
  uint64_t missed_count = 0;
  const TimeMs from_ms = std::max(cursor_ms, now_ms - kCatchUpHorizonMs);
  // Instants before the horizon are handled by being dropped: the cursor
  // moves past them even when no instant has come since.
  plan.cursor_ms = from_ms;
  for (std::optional<TimeMs> at = NextFiring(timing, from_ms); at && *at <= now_ms;
       at = NextFiring(timing, *at)) {
    plan.cursor_ms = *at;
    if (*at > missed_through_ms) {
      plan.fire.push_back(*at);
      continue;
    }
    ++missed_count;
    if (missed_kept_max > 0) {
      if (missed.size() == missed_kept_max) {
        missed.pop_front();
      }
      missed.push_back(*at);
    }
  }
  plan.skipped = missed_count - missed.size();
  // Missed instants all come before the ones seen in time.
  plan.fire.insert(plan.fire.begin(), missed.begin(), missed.end());
  return plan;
}

}  // namespace jobq::broker::core
