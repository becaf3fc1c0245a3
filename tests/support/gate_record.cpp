#include "tests/support/gate_record.h"

#include <sstream>

#include "tests/support/process.h"

namespace jobq::testing {

std::vector<Execution> ReadExecutions(const std::string& path) {
  std::vector<Execution> executions;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Execution execution;
    if (fields >> execution.job >> execution.attempt >> execution.pid) {
      executions.push_back(execution);
    }
  }
  return executions;
}

ExecutionsByTag ReadExecutionsByTag(const std::string& path, std::vector<std::string>* torn) {
  ExecutionsByTag executions;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id;
    uint32_t attempt = 0;
    int tag = -1;
    if (fields >> id >> attempt >> tag) {
      executions[tag].emplace_back(id, attempt);
    } else {
      torn->push_back(line);
    }
  }
  return executions;
}

}  // namespace jobq::testing
