#include "common/flags_outcome.h"

#include <iostream>

namespace jobq {

FlagsOutcome FlagsUsageError(std::string_view program, std::string_view problem) {
  const std::string name(program);
  return {FlagsOutcome::Action::kUsageError,
          name + ": " + std::string(problem) + "\nRun '" + name + " --help' to see every flag.\n"};
}

int PrintFlagsOutcome(const FlagsOutcome& outcome) {
  (outcome.action == FlagsOutcome::Action::kUsageError ? std::cerr : std::cout) << outcome.text;
  return outcome.exit_code();
}

}  // namespace jobq
