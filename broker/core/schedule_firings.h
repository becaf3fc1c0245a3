#pragma once
// Which firings of a schedule to make into jobs when the broker looks at it:
// every instant since the schedule's cursor that has come, split into those
// seen in time (each makes a job) and those that passed unseen, which the
// schedule's catch-up policy decides about. Pure; on the caller's clock.
//
// An instant passed unseen when it is at or before `missed_through_ms`: the
// broker gives the time it was restored (every instant it was down over)
// or now minus kLateFiringGraceMs, whichever is later (its clock jumped, or
// its loop stalled for longer than anyone would call late). A running
// broker's loop late by less than the grace fires each instant it passed,
// late; everything else follows the policy.

#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "common/cron_schedule.h"
#include "jobq/schedule.pb.h"

namespace jobq::broker::core {

inline constexpr TimeMs kLateFiringGraceMs = 60 * 1000;
// CATCH_UP_ALL makes at most this many jobs, of the latest missed instants.
inline constexpr size_t kCatchUpFiringsMax = 1000;
// Instants older than this before now are not looked at (nor counted as
// skipped): a schedule every second that was down a year costs no year
// of steps.
inline constexpr TimeMs kCatchUpHorizonMs = 31LL * 24 * 3600 * 1000;

struct FiringPlan {
  std::vector<TimeMs> fire;  // instants to make jobs for, oldest first
  uint64_t skipped = 0;      // missed instants that make none
  // The latest instant handled (fired or skipped); the cursor given when
  // no instant has come, or the horizon when that is later. Never an
  // instant before which one is left that has come.
  TimeMs cursor_ms = 0;
};

FiringPlan PlanFirings(const Schedule& timing, ::jobq::admin::ScheduleSpec::CatchUp policy,
                       TimeMs cursor_ms, TimeMs now_ms, TimeMs missed_through_ms);

}  // namespace jobq::broker::core
