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
  // In tenths, each reported, so that `jobq wait --progress` has something
  // real to draw.
  constexpr int kSteps = 10;
  const auto duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  const auto start = std::chrono::steady_clock::now();
  for (int step = 1; step <= kSteps; ++step) {
    if (!context.SleepFor(start + duration * step / kSteps - std::chrono::steady_clock::now())) {
      throw TaskError(kErrorCancelled,
                      "sleep: cancelled before " + args["seconds"].dump() + " seconds had passed");
    }
    context.ReportProgress(
        step, kSteps, "slept " + std::to_string(step) + "/10 of " + args["seconds"].dump() + " s");
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
