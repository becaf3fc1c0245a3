#pragma once
// How the dashboard answers what goes wrong: the HTTP status of a
// BrokerControl error (the canonical codes the gRPC service returns), the
// reason phrases, and the refusals counted in /metrics as
// jobq_http_refused_total{reason}. Pure but for the counters; thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::http {

// NOT_FOUND 404, INVALID_ARGUMENT and OUT_OF_RANGE 400, FAILED_PRECONDITION
// and ALREADY_EXISTS 409, PERMISSION_DENIED 403, UNAUTHENTICATED 401,
// RESOURCE_EXHAUSTED 429, UNAVAILABLE and DEADLINE_EXCEEDED 503, anything
// else 500.
int HttpStatusOf(absl::StatusCode code);

// "Not Found" for 404; "Error" for a code it does not know.
std::string_view ReasonPhrase(int status);

// {"error": message}, valid JSON whatever bytes `message` holds.
std::string ErrorJson(absl::string_view message);

// Why a request was refused; the `reason` label.
enum class Refusal {
  kUnauthenticated,  // 401: no session or token, or one the broker does not know
  kForbidden,        // 403: a read session or token on an action
  kCsrf,             // 403: X-CSRF-Token missing or wrong, or a foreign Origin
  kBadRequest,       // 400: a malformed parameter or body
  kNotFound,         // 404: no such route, asset, job, queue...
  kTooLarge,         // 413/431: a body over 64 KiB, headers over the bound
  kMethod,           // 405
  kTimeout,          // 503: the loop did not answer in time
  kBusy,             // 503: too many event streams
};
inline constexpr size_t kRefusalKinds = 9;

std::string_view RefusalName(Refusal refusal);

// The refusal an error answer with `status` counts as.
Refusal RefusalOfStatus(int status);

class RefusalCounters {
 public:
  void Count(Refusal refusal) {
    counts_[static_cast<size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t Get(Refusal refusal) const {
    return counts_[static_cast<size_t>(refusal)].load(std::memory_order_relaxed);
  }
  // Into the status snapshot (and so /metrics).
  void Fill(::jobq::admin::HttpRefusals* refusals) const;

 private:
  std::array<std::atomic<uint64_t>, kRefusalKinds> counts_{};
};

}  // namespace jobq::broker::http
