#include "worker/tasks/task_context.h"

#include <string>
#include <utility>

#include "common/json_depth.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {

const nlohmann::json& TaskContext::Args() {
  if (args_.has_value()) {
    return *args_;
  }
  if (!input_.content_type.empty() && input_.content_type != kJsonContentType) {
    throw TaskError(kErrorBadArgs, input_.task + ": arguments must be application/json, got " +
                                       "content type \"" + input_.content_type + "\"");
  }
  if (input_.payload.empty()) {
    args_ = nlohmann::json::object();
    return *args_;
  }
  // Bounded: the task would dump() or copy a deeper value recursively and
  // overflow the stack, killing the worker and then each worker the job
  // is retried on. Either error is one no retry can fix.
  nlohmann::json args;
  if (absl::Status status = ParseJsonBounded(input_.payload, &args); !status.ok()) {
    throw TaskError(kErrorBadArgs,
                    IsJsonTooDeep(status)
                        ? input_.task + ": arguments are " + std::string(status.message())
                        : input_.task + ": arguments are not valid JSON (" +
                              std::string(status.message()) + ")");
  }
  args_ = std::move(args);
  return *args_;
}

}  // namespace jobq::worker
