#pragma once
// FlagsOutcome: what parsing a program's command line came to, for main()
// to act on: run, print the help (or version) and exit 0, or print a usage
// error and exit 2. The parsers of jobq-broker and jobq-worker return one
// and print nothing themselves, so that tests and fuzzers see the text.
// FlagsParseError (common/flag_values.h) makes one of CLI11's errors.

#include <string>
#include <string_view>

namespace jobq {

struct FlagsOutcome {
  enum class Action {
    kRun,        // the config is complete
    kPrintHelp,  // print `text` (--help or --version) to stdout, exit 0
    kUsageError  // print `text` to stderr, exit 2
  };
  Action action = Action::kRun;
  // For kPrintHelp and kUsageError; ends in a newline. For a usage error:
  // what is wrong and what to do.
  std::string text;

  // What main() returns when it does not run: 2 for a usage error, else 0.
  int exit_code() const { return action == Action::kUsageError ? 2 : 0; }
};

// "PROGRAM: PROBLEM", then how to see every flag.
FlagsOutcome FlagsUsageError(std::string_view program, std::string_view problem);

// For main() when the outcome is not kRun: prints the text where it belongs
// and returns the exit code (0, or 2 for a usage error).
int PrintFlagsOutcome(const FlagsOutcome& outcome);

}  // namespace jobq
