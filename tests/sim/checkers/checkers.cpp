#include "tests/sim/checkers/checkers.h"

namespace jobq::testing {

void Checkers::OnLeaves(const broker::core::Outbound& out, Release& release) {
  if (out.socket == broker::core::Socket::kFrontend) {
    if (out.command == Command::kSubmitted) {
      acknowledged.OnSubmittedLeaves(static_cast<const wire::Submitted&>(*out.body), release);
    }
    outcomes.OnClientMessageLeaves(out, release);
  } else if (out.command == Command::kDispatch) {
    attempts.OnDispatchLeaves(out);
  } else if (out.command == Command::kWorkerSentinel) {
    sentinels.OnSentinelLeaves(out, release);
  }
}

}  // namespace jobq::testing
