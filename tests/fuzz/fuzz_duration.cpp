// Durations as people type them (common/duration.h): "250ms", "30s", "7d",
// "1.5". Whatever is accepted is within bounds and survives a round trip
// through FormatDurationMs.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "common/duration.h"

namespace {

constexpr int64_t kTenYearsMs = 10LL * 365 * 24 * 3600 * 1000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<int64_t> ms = jobq::ParseDurationMs(text);
  if (!ms.ok()) {
    JOBQ_CHECK(ms.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  JOBQ_CHECK(*ms >= 0 && *ms <= kTenYearsMs);
  const std::string formatted = jobq::FormatDurationMs(*ms);
  const absl::StatusOr<int64_t> again = jobq::ParseDurationMs(formatted);
  JOBQ_CHECK(again.ok() && *again == *ms);
  return 0;
}
