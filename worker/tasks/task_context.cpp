#include "worker/tasks/task_context.h"

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
  try {
    args_ = nlohmann::json::parse(input_.payload);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (1e999):
    // either way the caller sent arguments no retry can fix.
    throw TaskError(kErrorBadArgs,
                    input_.task + ": arguments are not valid JSON (" + e.what() + ")");
  }
  return *args_;
}

}  // namespace jobq::worker
