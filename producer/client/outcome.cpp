#include "producer/client/outcome.h"

namespace jobq {

std::string_view JobStateName(wire::JobState state) {
  switch (state) {
    case wire::JOB_STATE_SCHEDULED:
      return "scheduled";
    case wire::JOB_STATE_QUEUED:
      return "queued";
    case wire::JOB_STATE_RUNNING:
      return "running";
    case wire::JOB_STATE_SUCCEEDED:
      return "succeeded";
    case wire::JOB_STATE_FAILED:
      return "failed";
    case wire::JOB_STATE_DEAD:
      return "dead";
    case wire::JOB_STATE_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

bool IsFinalState(wire::JobState state) {
  return state != wire::JOB_STATE_SCHEDULED && state != wire::JOB_STATE_QUEUED &&
         state != wire::JOB_STATE_RUNNING;
}

std::optional<Outcome> OutcomeFromWire(const wire::JobOutcome& outcome) {
  std::optional<JobId> id = JobId::FromBytes(outcome.id());
  if (!id) {
    return std::nullopt;
  }
  Outcome converted;
  converted.id = *id;
  converted.state = outcome.state();
  converted.attempts = outcome.attempts();
  converted.result = outcome.result();
  converted.content_type = outcome.content_type();
  converted.error = outcome.error();
  return converted;
}

}  // namespace jobq
