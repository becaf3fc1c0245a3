#include "worker/tasks/builtin_tasks.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include "common/check.h"
#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

std::string Noop(TaskContext&) { return "null"; }

std::string Echo(TaskContext& context) { return context.Args().dump(); }

std::string Sleep(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  if (!args.is_object()) {
    throw TaskError(
        kErrorBadArgs,
        "sleep: arguments must be a JSON object like {\"seconds\": 1}, got " + args.dump());
  }
  auto it = args.find("seconds");
  if (it == args.end()) {
    throw TaskError(kErrorBadArgs,
                    "sleep: argument \"seconds\" is required, e.g. {\"seconds\": 1}");
  }
  const nlohmann::json& seconds_json = *it;
  if (!seconds_json.is_number() || seconds_json.get<double>() < 0) {
    throw TaskError(kErrorBadArgs, "sleep: argument \"seconds\" must be a number >= 0, got " +
                                       seconds_json.dump());
  }
  const double seconds = seconds_json.get<double>();
  if (seconds > kMaxSleepSeconds) {
    throw TaskError(kErrorBadArgs, "sleep: argument \"seconds\" must be at most " +
                                       std::to_string(static_cast<int64_t>(kMaxSleepSeconds)) +
                                       " (one year), got " + seconds_json.dump());
  }
  const auto duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  if (!context.SleepFor(duration)) {
    throw TaskError(kErrorCancelled,
                    "sleep: cancelled before " + seconds_json.dump() + " seconds had passed");
  }
  return nlohmann::json{{"slept", seconds_json}}.dump();
}

// Fails on purpose, to see how failures travel (demo, tests, monitoring
// checks): with a chosen error type, or as a plain C++ exception.
std::string Fail(TaskContext& context) {
  const nlohmann::json& args = context.Args();
  if (!args.is_object() && !args.is_null()) {
    throw TaskError(kErrorBadArgs, "fail: arguments must be a JSON object like "
                                   "{\"message\": \"...\"}, got " + args.dump());
  }
  std::string message = "failed on purpose";
  std::string type;
  for (auto [name, target] : {std::pair<const char*, std::string*>{"message", &message},
                              {"type", &type}}) {
    if (!args.is_object() || !args.contains(name)) continue;
    if (!args[name].is_string()) {
      throw TaskError(kErrorBadArgs, std::string("fail: argument \"") + name +
                                         "\" must be a string, got " + args[name].dump());
    }
    *target = args[name].get<std::string>();
  }
  if (!type.empty()) {
    throw TaskError(type, message);
  }
  throw std::runtime_error(message);
}

}  // namespace

void RegisterBuiltinTasks(TaskRegistry& registry) {
  for (auto [name, function] :
       {std::pair<const char*, TaskFunction>{"noop", Noop},
        {"echo", Echo},
        {"sleep", Sleep},
        {"fail", Fail}}) {
    absl::Status status = registry.Register(name, TaskKind::kIo, std::move(function));
    JOBQ_CHECK(status.ok()) << "built-in tasks are registered first: " << status;
  }
}

}  // namespace jobq::worker
