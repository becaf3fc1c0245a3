// RequireFlagValues: an empty value for a flag that takes one is refused
// with the flag's name, in subcommands too; flags without values and
// positionals are left alone.

#include "common/flag_values.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jobq {
namespace {

// Parses `args` (without the program name); the error's text, "" if none.
std::string ParseError(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    return error.what();
  }
  return "";
}

struct Flags {
  int priority = 7;
  std::string queue = "q";
  bool wait = false;
  std::string task = "t";
  double timeout = 1;
};

std::unique_ptr<CLI::App> MakeApp(Flags* flags) {
  auto app = std::make_unique<CLI::App>("test");
  CLI::App* submit = app->add_subcommand("submit");
  submit->add_option("task", flags->task);
  submit->add_option("--priority", flags->priority);
  submit->add_option("-q,--queue", flags->queue);
  submit->add_flag("--wait", flags->wait);
  app->add_option("--timeout", flags->timeout);
  RequireFlagValues(*app);
  return app;
}

TEST(RequireFlagValuesTest, AnEmptyValueIsRefusedByName) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"submit", "--priority", ""}, "--priority: needs a value"},
      // CLI11 itself refuses this form ("1 required INT missing").
      {{"submit", "--priority="}, "--priority: "},
      {{"submit", "-q", ""}, "--queue: needs a value"},
      {{"--timeout", "", "submit"}, "--timeout: needs a value"},
  };
  for (const auto& [args, says] : cases) {
    Flags flags;
    std::unique_ptr<CLI::App> app = MakeApp(&flags);
    const std::string error = ParseError(*app, args);
    EXPECT_NE(error.find(says), std::string::npos) << args[1] << ": " << error;
    EXPECT_EQ(flags.priority, 7) << "no default took the empty value's place";
  }
}

TEST(RequireFlagValuesTest, ValuesFlagsAndPositionalsStillParse) {
  Flags flags;
  std::unique_ptr<CLI::App> app = MakeApp(&flags);
  EXPECT_EQ(
      ParseError(*app, {"--timeout", "2", "submit", "", "--priority", "3", "--wait", "-q", "x"}),
      "");
  EXPECT_EQ(flags.priority, 3);
  EXPECT_EQ(flags.queue, "x");
  EXPECT_TRUE(flags.wait);
  EXPECT_EQ(flags.task, "") << "a positional is its command's to check";
  EXPECT_EQ(flags.timeout, 2);
}

}  // namespace
}  // namespace jobq
