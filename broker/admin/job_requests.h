#pragma once
// Checks of the job RPCs' requests (ListJobs, GetJob, RetryJobs), done on
// the gRPC thread so the loop only ever sees well-formed requests: ids
// become their 16 wire bytes, a state name its enum, a limit its bounds.
// Errors are kInvalidArgument with a message for people. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jobq/admin.pb.h"
#include "jobq/wire.pb.h"

namespace jobq::broker::admin {

inline constexpr uint32_t kDefaultListLimit = 100;
inline constexpr uint32_t kMaxListLimit = 10'000;
inline constexpr int kMaxRetryIds = 10'000;

// The 16 bytes of a job id given either as those bytes or as its text
// (what the CLI prints). `field` names it in the error.
absl::StatusOr<std::string> NormalizeJobId(std::string_view id, std::string_view field);

// In place: state_name resolved into state (and cleared), page_token or
// page_after normalized into page_after (both at once is an error), limit
// defaulted and capped.
absl::Status NormalizeListJobs(jobq::admin::ListJobsRequest* request);
absl::Status NormalizeGetJob(jobq::admin::GetJobRequest* request);
absl::Status NormalizeRetryJobs(jobq::admin::RetryJobsRequest* request);
// Ids as for RetryJobs (all or nothing).
absl::Status NormalizeCancelJobs(jobq::admin::CancelJobsRequest* request);
// A queue or worker name: not empty, at most 256 bytes. `what` names it
// in the error ("queue", "worker name").
absl::Status CheckName(std::string_view name, std::string_view what);
// WatchStatus: 0 becomes kDefaultWatchIntervalMs; others are clamped to
// [kMinWatchIntervalMs, kMaxWatchIntervalMs].
uint32_t WatchIntervalMs(uint32_t requested_ms);

inline constexpr uint32_t kDefaultWatchIntervalMs = 1000;
inline constexpr uint32_t kMinWatchIntervalMs = 100;
inline constexpr uint32_t kMaxWatchIntervalMs = 60'000;
inline constexpr size_t kMaxNameBytes = 256;

}  // namespace jobq::broker::admin
