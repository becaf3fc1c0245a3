#include "producer/client/internal/failure_texts.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jobq::client_internal {

absl::Status StatusForBrokerError(const wire::Error& error, const std::string& endpoint) {
  std::string text = absl::StrCat("the broker at ", endpoint, " rejected a request (",
                                  wire::ErrorCode_Name(error.code()), "): ", error.text());
  switch (error.code()) {
    case wire::ERROR_CODE_QUEUE_FULL:
      return absl::ResourceExhaustedError(text);
    case wire::ERROR_CODE_TOO_LARGE:
      return absl::InvalidArgumentError(text);
    case wire::ERROR_CODE_UNKNOWN_JOB:
      return absl::NotFoundError(text);
    case wire::ERROR_CODE_INTERNAL:
      return absl::InternalError(text);
    case wire::ERROR_CODE_BAD_VERSION:
    case wire::ERROR_CODE_BAD_COMMAND:
    case wire::ERROR_CODE_BAD_BODY:
      // The client and the broker disagree about the protocol: retrying will not help.
      return absl::FailedPreconditionError(text);
    default:
      return absl::UnknownError(text);
  }
}

std::string UnknownFateText(size_t jobs, size_t sentinels, size_t workflows) {
  std::string text;
  if (jobs > 0) {
    absl::StrAppend(&text, "; ", jobs, jobs == 1 ? " submitted job was" : " submitted jobs were",
                    " not acknowledged and may or may not have been accepted (submit again once "
                    "the broker is back; an idempotency key keeps a job accepted already from "
                    "being created twice)");
  }
  if (workflows > 0) {
    absl::StrAppend(&text, "; ", workflows, workflows == 1 ? " workflow was" : " workflows were",
                    " not answered and may or may not have been accepted (`jobq workflow list` "
                    "shows those the broker has)");
  }
  if (sentinels > 0) {
    absl::StrAppend(&text, "; ", sentinels, sentinels == 1 ? " sentinel was" : " sentinels were",
                    " not acknowledged and may or may not be in the queue");
  }
  return text;
}

std::string ClosedUnansweredText(uint64_t closed) {
  if (closed == 0) {
    return "";
  }
  return absl::StrCat(" ", closed, closed == 1 ? " connection was" : " connections were",
                      " closed before the broker answered: one at its --connections-max does "
                      "that (see connections_max_reached in its log), as does one that stopped");
}

absl::Status LostSentinelStatus(const std::string& endpoint, const std::string& queue) {
  return absl::UnavailableError(absl::StrCat(
      "the connection to the broker at ", endpoint,
      " was lost before it acknowledged the sentinel for queue ", queue.empty() ? "default" : queue,
      ", so it may or may not be in the queue: check the queue's SENTINELS in `jobq status` "
      "before sending another, which would be a second barrier"));
}

std::string TimeoutText(int64_t timeout_ms) {
  return absl::StrFormat("%g s", static_cast<double>(timeout_ms) / 1000.0);
}

}  // namespace jobq::client_internal
