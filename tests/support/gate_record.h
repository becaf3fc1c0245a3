#pragma once
// The record the test plugin's gate task keeps (tests/support/
// test_tasks_plugin.cpp): one line per execution, "<job id> <attempt> <pid>".

#include <cstdint>
#include <string>
#include <vector>

namespace jobq::testing {

struct Execution {
  std::string job;
  uint32_t attempt = 0;
  int pid = 0;
};

// Every well-formed line of the record at `path`; none if it is missing.
std::vector<Execution> ReadExecutions(const std::string& path);

}  // namespace jobq::testing
