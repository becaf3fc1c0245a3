#include "common/flag_values.h"

namespace jobq {

void RequireFlagValues(CLI::App& app) {
  const CLI::Validator non_empty(
      [](std::string& value) {
        return value.empty() ? std::string("needs a value, got an empty one") : std::string();
      },
      "", "NONEMPTY");
  for (CLI::Option* option : app.get_options()) {
    // Flags (--wait) take no value; positionals are named by their command.
    if (option->get_type_size_max() == 0 || !option->nonpositional()) {
      continue;
    }
    // transform(), unlike check(), runs first: the option's own checks
    // would say "Value  not in range" of an empty value.
    option->transform(non_empty);
  }
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    RequireFlagValues(*command);
  }
}

FlagsOutcome FlagsParseError(const CLI::App& app, std::string_view program,
                             const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::CallForHelp*>(&error) != nullptr) {
    return {FlagsOutcome::Action::kPrintHelp, app.help()};
  }
  if (dynamic_cast<const CLI::CallForVersion*>(&error) != nullptr) {
    return {FlagsOutcome::Action::kPrintHelp, std::string(error.what()) + "\n"};
  }
  return FlagsUsageError(program, error.what());
}

}  // namespace jobq
