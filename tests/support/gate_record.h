#pragma once
// The records the test plugin's gate and record tasks keep (tests/support/
// test_tasks_plugin.cpp): one line per execution, "<job id> <attempt> <pid>"
// and "<job id> <attempt> <tag>".

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace jobq::testing {

struct Execution {
  std::string job;
  uint32_t attempt = 0;
  int pid = 0;
};

// Every well-formed line of the record at `path`; none if it is missing.
std::vector<Execution> ReadExecutions(const std::string& path);

// The record task's executions at `path` by the tag of their input line,
// each as (job id, attempt); lines that do not parse (torn) go to `torn`.
using ExecutionsByTag = std::map<int, std::vector<std::pair<std::string, uint32_t>>>;
ExecutionsByTag ReadExecutionsByTag(const std::string& path, std::vector<std::string>* torn);

}  // namespace jobq::testing
