#pragma once
// ParseBrokerFlags on a list of arguments, for the broker's flag tests; its
// usage messages on stderr are captured and dropped.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "broker/broker_config.h"

namespace jobq::broker::testing {

struct Parsed {
  std::optional<BrokerConfig> config;
  int exit_code = -1;
};

inline Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "jobq-broker");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  Parsed parsed;
  ::testing::internal::CaptureStderr();
  parsed.config = ParseBrokerFlags(static_cast<int>(argv.size()), argv.data(), &parsed.exit_code);
  ::testing::internal::GetCapturedStderr();
  return parsed;
}

}  // namespace jobq::broker::testing
