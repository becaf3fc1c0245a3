#pragma once
// SubmitAck and Outcome: what the broker tells a producer about its jobs.
// SubmitAck answers a SUBMIT (accepted with an id, or rejected with a
// reason); Outcome is how a finished job ended (docs/protocol.md, RESULT).
// Plain values; thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/job_id.h"
#include "common/job_state.h"  // JobStateName, for the client's users
#include "jobq/wire.pb.h"

namespace jobq {

// The broker's answer to one submitted job.
struct SubmitAck {
  std::optional<JobId> id;  // set when the broker accepted the job (it is durable)
  wire::ErrorInfo error;    // set when it rejected it: type "queue_full", "bad_request", ...
  // Accepted, but nothing new was created: the broker already had a job with
  // this idempotency key (or a submit_token the caller chose), and `id` is
  // that job's. Not set when the match was only the client's own token on a
  // re-send after a reconnect: that job is this one, submitted once.
  bool duplicate = false;

  bool accepted() const { return id.has_value(); }
};

// How a job ended. `state` is one of succeeded, failed, dead, cancelled; or
// JOB_STATE_UNSPECIFIED with error.type "unknown_job" when the broker has no
// such job (never submitted, or its result has expired).
struct Outcome {
  JobId id;
  wire::JobState state = wire::JOB_STATE_UNSPECIFIED;
  uint32_t attempts = 0;
  std::string result;  // bytes in `content_type`; JSON when that is "" or application/json
  std::string content_type;
  wire::ErrorInfo error;  // set unless the job succeeded

  bool succeeded() const { return state == wire::JOB_STATE_SUCCEEDED; }
};

// The error type the broker uses for a WAIT on a job it does not know.
inline constexpr std::string_view kUnknownJobErrorType = "unknown_job";

// True for the terminal states (succeeded, failed, dead, cancelled) and
// for UNSPECIFIED (how an unknown job is reported); false for the states a
// job is still moving through (blocked, scheduled, queued, running) and any
// value this client does not know. The broker only pushes final outcomes;
// the client ignores anything else rather than end a wait early.
bool IsFinalState(wire::JobState state);

// Converts a RESULT entry. nullopt when its id is not 16 bytes.
std::optional<Outcome> OutcomeFromWire(const wire::JobOutcome& outcome);

}  // namespace jobq
