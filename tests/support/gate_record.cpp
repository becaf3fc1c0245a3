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

}  // namespace jobq::testing
