#include "producer/client/outcome.h"

namespace jobq {

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
