#pragma once
// The error of a store that refused a commit because this broker is no
// longer the leader: another broker took the leadership lease over, with a
// newer epoch, so whatever this one still wanted to write must not land
// (fencing, docs/postgres.md). A broker that sees it stops serving: it acks
// nothing more and hands its clients to the new leader. Thread-safe.

#include <string_view>

#include "absl/status/status.h"

namespace jobq::broker::store {

// FAILED_PRECONDITION carrying a payload that IsDeposed recognises; `why`
// says whose epoch is current.
absl::Status DeposedError(std::string_view why);

bool IsDeposed(const absl::Status& status);

}  // namespace jobq::broker::store
