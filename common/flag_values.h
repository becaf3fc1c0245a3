#pragma once
// RequireFlagValues: every flag of a CLI11 command line that takes a value
// refuses an empty one (`--priority ''`, `--timeout=`), naming the flag.
// Without it CLI11 reads "" as the type's default, so a typo or an unset
// shell variable silently became priority 0 or no timeout. Positional
// arguments are left to their commands, which say what they need.

#include <CLI/CLI.hpp>

namespace jobq {

// Call after every option and subcommand of `app` is added, before parsing.
// Covers `app` and all its subcommands.
void RequireFlagValues(CLI::App& app);

}  // namespace jobq
