#include "broker/core/spec_limits.h"

#include <algorithm>

#include "common/time_limits.h"

namespace jobq::broker::core {
namespace {

// "" or "timeout_ms is -1; it must be from 0 (no timeout) to 31536000000 (365 days)".
std::string OutOfRange(const char* field, int64_t value, const char* zero_means, int64_t max_ms) {
  if (value >= 0 && value <= max_ms) {
    return "";
  }
  return std::string(field) + " is " + std::to_string(value) + "; it must be from 0 (" +
         zero_means + ") to " + std::to_string(max_ms) + " (" + std::to_string(max_ms / kMsPerDay) +
         " days)";
}

}  // namespace

std::string CheckSpecTimes(const wire::JobSpec& spec, TimeMs now_ms) {
  for (const std::string& problem :
       {OutOfRange("timeout_ms", spec.timeout_ms(), "no timeout", kJobTimeoutMsMax),
        OutOfRange("backoff_ms", spec.backoff_ms(), "the queue's default", kDurationMsMax),
        OutOfRange("result_ttl_ms", spec.result_ttl_ms(), "the broker's --result-ttl",
                   kDurationMsMax)}) {
    if (!problem.empty()) {
      return problem;
    }
  }
  // A clock clamped like a stored time: the sum cannot overflow.
  const TimeMs not_before_max = ClampStoredTime(now_ms) + kDurationMsMax;
  if (spec.not_before_ms() < 0 || spec.not_before_ms() > not_before_max) {
    return "not_before_ms is " + std::to_string(spec.not_before_ms()) +
           "; it must be from 0 (now) to " + std::to_string(kDurationMsMax / kMsPerDay) +
           " days after the broker's clock (" + std::to_string(not_before_max) + " now)";
  }
  return "";
}

void ClampSpecTimes(wire::JobSpec* spec) {
  spec->set_timeout_ms(std::clamp<int64_t>(spec->timeout_ms(), 0, kJobTimeoutMsMax));
  spec->set_backoff_ms(std::clamp<int64_t>(spec->backoff_ms(), 0, kDurationMsMax));
  spec->set_result_ttl_ms(std::clamp<int64_t>(spec->result_ttl_ms(), 0, kDurationMsMax));
  spec->set_not_before_ms(ClampStoredTime(spec->not_before_ms()));
}

TimeMs ClampStoredTime(TimeMs unix_ms) { return std::clamp<TimeMs>(unix_ms, 0, kUnixMsMax); }

}  // namespace jobq::broker::core
