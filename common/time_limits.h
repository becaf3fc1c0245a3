#pragma once
// The largest times and durations jobq takes from anyone: a peer's message,
// a person's flag, a record read back from a store. Each is far beyond real
// use and far below overflow, so that sums such as "now + timeout" or
// "finished + TTL", and their microseconds, always fit an int64.
// docs/protocol.md ("SUBMIT") states the JobSpec bounds as the contract.

#include <algorithm>
#include <cstdint>

namespace jobq {

inline constexpr int64_t kMsPerDay = 86'400'000;

// How long one attempt of a job may run (JobSpec.timeout_ms, `jobq submit
// --timeout`): a year.
inline constexpr int64_t kJobTimeoutMsMax = 365 * kMsPerDay;

// Every other duration: JobSpec.backoff_ms and result_ttl_ms, how far ahead
// of the broker's clock JobSpec.not_before_ms may be, and every duration
// flag (common/duration.h): ten years.
inline constexpr int64_t kDurationMsMax = 3650 * kMsPerDay;

// The latest unix ms a stored record may name: 9999-12-31T23:59:59.999Z.
inline constexpr int64_t kUnixMsMax = 253'402'300'799'999;

// Welcome.heartbeat_interval_ms and liveness_misses: what the broker's own
// --heartbeat-ms and --liveness-misses accept.
inline constexpr uint32_t kHeartbeatIntervalMsMin = 10;
inline constexpr uint32_t kHeartbeatIntervalMsMax = 60'000;
inline constexpr uint32_t kLivenessMissesMax = 100;

// A timeout a peer sent, made safe to add to a clock: above the maximum it
// is the maximum (the sender is wrong or older; the job still gets a
// deadline), 0 or less stays "no timeout".
constexpr int64_t ClampTimeoutMs(int64_t timeout_ms) {
  return std::min(timeout_ms, kJobTimeoutMsMax);
}

}  // namespace jobq
