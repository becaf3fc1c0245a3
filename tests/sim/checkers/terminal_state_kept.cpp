#include "tests/sim/checkers/terminal_state_kept.h"

#include <string>

#include "tests/sim/sim_env.h"

namespace jobq::testing {

void TerminalStateKept::CheckKept(const JobId& id, wire::JobState terminal,
                                  wire::JobState state) const {
  SIM_EXPECT(state == terminal, "job " + Hex(id) + " left terminal state " +
                                    wire::JobState_Name(terminal) + " for " +
                                    wire::JobState_Name(state));
}

void TerminalStateKept::CheckCommittedKept(const JobId& id,
                                           const std::optional<wire::JobState>& was,
                                           const std::optional<wire::JobState>& written) const {
  SIM_EXPECT(!was || written == was,
             "committed job " + Hex(id) + " left its committed terminal state " +
                 wire::JobState_Name(*was) + " for " +
                 (written ? wire::JobState_Name(*written) : std::string("an unfinished one")));
}

}  // namespace jobq::testing
