#include "broker/store/deposed.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace jobq::broker::store {
namespace {

// A payload rather than a code of its own: the canonical codes have none
// for "deposed", and FAILED_PRECONDITION alone is also what other refusals
// say.
constexpr char kDeposedPayload[] = "type.jobq.dev/jobq.store.Deposed";

}  // namespace

absl::Status DeposedError(std::string_view why) {
  absl::Status status = absl::FailedPreconditionError(
      absl::StrCat("deposed: this broker is no longer the leader: ", std::string(why)));
  status.SetPayload(kDeposedPayload, absl::Cord("1"));
  return status;
}

bool IsDeposed(const absl::Status& status) {
  return status.GetPayload(kDeposedPayload).has_value();
}

}  // namespace jobq::broker::store
