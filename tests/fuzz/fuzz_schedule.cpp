// Schedules as an admin client adds them (AddScheduleRequest's spec) and as
// a store gives them back (ScheduleRecord, perhaps damaged): the input is a
// serialized jobq.store.ScheduleRecord. Its spec goes to AddSchedule on one
// core, which adds it or refuses it with INVALID_ARGUMENT and a message;
// the whole record goes to RestoreSchedules on another, which keeps it
// (broken, if its timing does not load). Both cores then run through time
// (a second, a minute, an hour, three days, and back a minute), checking
// their invariants at every step; a schedule's next ten firings are
// strictly increasing and after its cursor.

#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/core/broker_core.h"
#include "common/check.h"
#include "jobq/store.pb.h"

namespace {

using jobq::TimeMs;
using jobq::broker::core::BrokerCore;
using jobq::broker::core::CoreOptions;
using jobq::broker::core::Effects;

constexpr TimeMs kStartMs = 1'790'000'000'000;

void RunThroughTime(BrokerCore& core, const std::string& name) {
  Effects effects;
  TimeMs now_ms = kStartMs;
  for (TimeMs step_ms : {0LL, 1000LL, 60'000LL, 3'600'000LL, 3LL * 86'400'000, -60'000LL}) {
    now_ms += step_ms;
    effects.Clear();
    core.Tick(now_ms, &effects);
    core.CheckInvariants();
    absl::StatusOr<jobq::admin::ScheduleInfo> info = core.GetSchedule(name, 10);
    if (!info.ok()) {
      continue;
    }
    TimeMs last_ms = 0;
    for (TimeMs at : info->next_fires_ms()) {
      JOBQ_CHECK(at > last_ms) << "next firings strictly increase";
      last_ms = at;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  jobq::store::ScheduleRecord record;
  if (!record.ParseFromArray(data, static_cast<int>(size))) {
    return 0;
  }
  CoreOptions options;
  {
    BrokerCore core(options);
    Effects effects;
    core.Tick(kStartMs, &effects);
    absl::StatusOr<jobq::admin::ScheduleInfo> added =
        core.AddSchedule(record.spec(), kStartMs, &effects);
    if (!added.ok()) {
      JOBQ_CHECK(added.status().code() == absl::StatusCode::kInvalidArgument &&
                 !added.status().message().empty())
          << "a refused spec is refused as invalid, with a message: " << added.status();
      JOBQ_CHECK(core.schedule_count() == 0) << "nothing half-created";
    }
    core.CheckInvariants();
    RunThroughTime(core, record.spec().name());
  }
  {
    BrokerCore core(options);
    // A record as the store keeps it: the cursor anywhere an int64 goes.
    core.RestoreSchedules({record}, kStartMs);
    core.CheckInvariants();
    RunThroughTime(core, record.spec().name());
  }
  return 0;
}
