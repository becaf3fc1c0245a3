// FlagsOutcome: what a program's flag parser hands main(), and
// FlagsParseError, which makes one of CLI11's errors.

#include "common/flags_outcome.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/flag_values.h"

namespace jobq {
namespace {

using Action = FlagsOutcome::Action;

// What parsing `args` (without the program name) throws, as an outcome;
// kRun when it throws nothing.
FlagsOutcome Parse(std::vector<std::string> args) {
  CLI::App app("Does things.", "prog");
  app.set_version_flag("--version", "prog 1.2.3");
  int count = 0;
  app.add_option("--count", count, "How many")->check(CLI::Range(1, 9));
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    return FlagsParseError(app, "prog", error);
  }
  return {};
}

TEST(FlagsOutcomeTest, HelpAndVersionArePrintedAndExitZero) {
  FlagsOutcome help = Parse({"--help"});
  EXPECT_EQ(help.action, Action::kPrintHelp);
  EXPECT_NE(help.text.find("--count"), std::string::npos) << help.text;
  EXPECT_EQ(help.exit_code(), 0);
  FlagsOutcome version = Parse({"--version"});
  EXPECT_EQ(version.action, Action::kPrintHelp);
  EXPECT_EQ(version.text, "prog 1.2.3\n");
}

TEST(FlagsOutcomeTest, ABadFlagIsAUsageErrorNamingTheProgram) {
  FlagsOutcome outcome = Parse({"--count", "12"});
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_EQ(outcome.exit_code(), 2);
  EXPECT_EQ(outcome.text.rfind("prog: --count", 0), 0u) << outcome.text;
  EXPECT_NE(outcome.text.find("Run 'prog --help' to see every flag.\n"), std::string::npos)
      << outcome.text;
  EXPECT_EQ(Parse({"--count", "3"}).action, Action::kRun);
}

TEST(FlagsOutcomeTest, UsageErrorText) {
  FlagsOutcome outcome = FlagsUsageError("prog", "--x is bad");
  EXPECT_EQ(outcome.action, Action::kUsageError);
  EXPECT_EQ(outcome.text, "prog: --x is bad\nRun 'prog --help' to see every flag.\n");
}

}  // namespace
}  // namespace jobq
