#pragma once
// The words a client fails requests with: each says what happened and, as
// far as the client knows, what became of the requests and what to do.
// Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "jobq/wire.pb.h"

namespace jobq::client_internal {

// An ERROR from the broker at `endpoint`, with the canonical code a caller
// can react to (kResourceExhausted for a full queue, say).
absl::Status StatusForBrokerError(const wire::Error& error, const std::string& endpoint);

// What the caller should know about the `jobs` submitted jobs, the
// `sentinels` sentinels and the `workflows` workflows whose fate a failure
// leaves unknown; empty when there are none. Starts with "; ".
std::string UnknownFateText(size_t jobs, size_t sentinels, size_t workflows = 0);

// Why connections may have been closed unanswered; empty when `closed` is
// 0. Starts with " ".
std::string ClosedUnansweredText(uint64_t closed);

// A sentinel for `queue` sent on a connection to `endpoint` lost before its
// acknowledgement.
absl::Status LostSentinelStatus(const std::string& endpoint, const std::string& queue);

// "2 s", "0.5 s".
std::string TimeoutText(int64_t timeout_ms);

}  // namespace jobq::client_internal
