#pragma once
// RequireFlagValues: every flag of a CLI11 command line that takes a value
// refuses an empty one (`--priority ''`, `--timeout=`), naming the flag.
// Without it CLI11 reads "" as the type's default, so a typo or an unset
// shell variable silently became priority 0 or no timeout. Positional
// arguments are left to their commands, which say what they need.

#include <CLI/CLI.hpp>
#include <string_view>

#include "common/flags_outcome.h"

namespace jobq {

// Call after every option and subcommand of `app` is added, before parsing.
// Covers `app` and all its subcommands.
void RequireFlagValues(CLI::App& app);

// What CLI11's exception out of `app`.parse() comes to: --help and
// --version are kPrintHelp, anything else a usage error of `program`.
FlagsOutcome FlagsParseError(const CLI::App& app, std::string_view program,
                             const CLI::ParseError& error);

}  // namespace jobq
