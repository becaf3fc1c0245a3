#pragma once
// ParseBrokerFlags on a list of arguments, for the broker's flag tests.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_config.h"
#include "common/flags_outcome.h"

namespace jobq::broker::testing {

struct Parsed {
  std::optional<BrokerConfig> config;  // set when the broker would run
  FlagsOutcome outcome;
  int exit_code = -1;  // what main() would return when it does not run
};

inline Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "jobq-broker");
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  Parsed parsed;
  BrokerConfig config;
  parsed.outcome = ParseBrokerFlags(static_cast<int>(argv.size()), argv.data(), &config);
  if (parsed.outcome.action == FlagsOutcome::Action::kRun) {
    parsed.config = std::move(config);
  } else {
    parsed.exit_code = parsed.outcome.exit_code();
  }
  return parsed;
}

}  // namespace jobq::broker::testing
