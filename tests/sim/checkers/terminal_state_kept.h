#pragma once
// TerminalStateKept: guarantee 2 of DESIGN §11, first half. A job reaches
// one terminal state and keeps it within a broker life, and once committed
// across restarts (a crash may undo one that was not: nobody heard of it).
//
// Not thread-safe.

#include <optional>

#include "common/job_id.h"
#include "jobq/wire.pb.h"

namespace jobq::testing {

class TerminalStateKept {
 public:
  // The core has the job finished as `terminal` in `state` now.
  void CheckKept(const JobId& id, wire::JobState terminal, wire::JobState state) const;
  // A batch that writes the job `written` commits over `was`.
  void CheckCommittedKept(const JobId& id, const std::optional<wire::JobState>& was,
                          const std::optional<wire::JobState>& written) const;
};

}  // namespace jobq::testing
