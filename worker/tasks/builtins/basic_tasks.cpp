#include "worker/tasks/builtins/basic_tasks.h"

#include <chrono>
#include <stdexcept>

#include "worker/tasks/builtins/task_args.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {

std::string NoopTask(TaskContext&) { return "null"; }

std::string EchoTask(TaskContext& context) { return context.Args().dump(); }

std::string SleepTask(TaskContext& context) {
  const nlohmann::json& args = RequireObject(context.Args(), "sleep", R"({"seconds": 1})");
  const double seconds = RequireNumber(args, "sleep", "seconds", 0, kMaxSleepSeconds);
  const auto duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  if (!context.SleepFor(duration)) {
    throw TaskError(kErrorCancelled,
                    "sleep: cancelled before " + args["seconds"].dump() + " seconds had passed");
  }
  // The argument as given (1, not 1.0), so the result reads like the request.
  return nlohmann::json{{"slept", args["seconds"]}}.dump();
}

std::string FailTask(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  if (!args.is_null()) {
    RequireObject(args, "fail", R"({"message": "..."})");
  }
  const std::string message = OptionalString(args, "fail", "message").value_or("failed on purpose");
  const std::optional<std::string> type = OptionalString(args, "fail", "type");
  if (type.has_value() && !type->empty()) {
    throw TaskError(*type, message);
  }
  throw std::runtime_error(message);
}

}  // namespace jobq::worker
