#include "producer/cli/exit_code.h"

namespace jobq::cli {

void RunTally::CountAck(const SubmitAck& ack) {
  if (ack.accepted()) {
    ++accepted_;
  } else {
    ++rejected_;
  }
}

void RunTally::CountOutcome(const Outcome& outcome) {
  if (outcome.succeeded()) {
    ++succeeded_;
  } else {
    ++unsuccessful_;
  }
}

int RunTally::ExitCode(const absl::Status& run) const {
  if (!run.ok()) {
    return kExitUsage;
  }
  if (rejected_ > 0 || unsuccessful_ > 0) {
    return kExitJobsFailed;
  }
  return kExitOk;
}

}  // namespace jobq::cli
