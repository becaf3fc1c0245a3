#include "producer/client/outcome.h"

namespace jobq {

bool IsFinalState(wire::JobState state) {
  // Named one by one, so that a state added later (blocked was) counts as
  // still moving until it is listed here.
  return state == wire::JOB_STATE_SUCCEEDED || state == wire::JOB_STATE_FAILED ||
         state == wire::JOB_STATE_DEAD || state == wire::JOB_STATE_CANCELLED ||
         state == wire::JOB_STATE_UNSPECIFIED;
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
