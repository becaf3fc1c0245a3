#include "worker/tasks/builtins/task_args.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "worker/tasks/task_error.h"

namespace jobq::worker {
namespace {

std::string Prefix(std::string_view task, std::string_view name) {
  return std::string(task) + ": argument \"" + std::string(name) + "\"";
}

[[noreturn]] void ThrowBadArg(std::string_view task, std::string_view name,
                              const std::string& must_be, const nlohmann::json& given) {
  throw TaskError(kErrorBadArgs,
                  Prefix(task, name) + " must be " + must_be + ", got " +
                      given.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Limits print as people write them: 0 and 31536000, not 0.000000.
std::string FormatNumber(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

// The argument, or nullptr when absent. Non-object arguments have no named
// arguments at all, so they read as "absent" and the caller says which one
// is required; RequireObject() is for tasks that want the shape spelt out.
const nlohmann::json* Find(const nlohmann::json& args, std::string_view name) {
  if (!args.is_object()) {
    return nullptr;
  }
  auto it = args.find(name);
  return it == args.end() ? nullptr : &*it;
}

const nlohmann::json& Require(const nlohmann::json& args, std::string_view task,
                              std::string_view name) {
  const nlohmann::json* value = Find(args, name);
  if (value == nullptr) {
    throw TaskError(kErrorBadArgs, Prefix(task, name) + " is required");
  }
  return *value;
}

}  // namespace

const nlohmann::json& RequireObject(const nlohmann::json& args, std::string_view task,
                                    std::string_view example) {
  if (!args.is_object()) {
    throw TaskError(kErrorBadArgs, std::string(task) + ": arguments must be a JSON object like " +
                                       std::string(example) + ", got " + args.dump());
  }
  return args;
}

int64_t RequireInt(const nlohmann::json& args, std::string_view task, std::string_view name,
                   int64_t min, int64_t max) {
  const nlohmann::json& value = Require(args, task, name);
  const std::string must_be =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    const int64_t n = value.get<int64_t>();
    if (n >= min && n <= max) {
      return n;
    }
  } else if (value.is_number_unsigned()) {
    const uint64_t n = value.get<uint64_t>();
    if (n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
        static_cast<int64_t>(n) >= min && static_cast<int64_t>(n) <= max) {
      return static_cast<int64_t>(n);
    }
  } else if (value.is_number_float()) {
    // JSON has one number type; 1e6 is an integer to the person who typed it.
    // The range check on the double comes first, so the cast is defined.
    const double d = value.get<double>();
    if (std::trunc(d) == d && d >= static_cast<double>(min) && d <= static_cast<double>(max)) {
      return static_cast<int64_t>(d);
    }
  }
  ThrowBadArg(task, name, must_be, value);
}

double RequireNumber(const nlohmann::json& args, std::string_view task, std::string_view name,
                     double min, double max) {
  const nlohmann::json& value = Require(args, task, name);
  if (!value.is_number() || !(value.get<double>() >= min)) {
    ThrowBadArg(task, name, "a number >= " + FormatNumber(min), value);
  }
  if (value.get<double>() > max) {
    ThrowBadArg(task, name, "at most " + FormatNumber(max), value);
  }
  return value.get<double>();
}

std::optional<double> OptionalPositiveNumber(const nlohmann::json& args, std::string_view task,
                                             std::string_view name, double max) {
  const nlohmann::json* value = Find(args, name);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_number() || !(value->get<double>() > 0) || value->get<double>() > max) {
    ThrowBadArg(task, name, "a number > 0 and at most " + FormatNumber(max), *value);
  }
  return value->get<double>();
}

std::string RequireString(const nlohmann::json& args, std::string_view task,
                          std::string_view name) {
  const nlohmann::json& value = Require(args, task, name);
  if (!value.is_string()) {
    ThrowBadArg(task, name, "a string", value);
  }
  return value.get<std::string>();
}

std::optional<std::string> OptionalString(const nlohmann::json& args, std::string_view task,
                                          std::string_view name) {
  const nlohmann::json* value = Find(args, name);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    ThrowBadArg(task, name, "a string", *value);
  }
  return value->get<std::string>();
}

std::vector<std::string> RequireStringArray(const nlohmann::json& args, std::string_view task,
                                            std::string_view name) {
  const nlohmann::json& value = Require(args, task, name);
  const std::string must_be = "a non-empty array of strings";
  if (!value.is_array() || value.empty()) {
    ThrowBadArg(task, name, must_be, value);
  }
  std::vector<std::string> strings;
  strings.reserve(value.size());
  for (const nlohmann::json& element : value) {
    if (!element.is_string()) {
      ThrowBadArg(task, name, must_be, value);
    }
    std::string s = element.get<std::string>();
    if (s.find('\0') != std::string::npos) {
      ThrowBadArg(task, name, must_be + " without NUL characters", value);
    }
    strings.push_back(std::move(s));
  }
  return strings;
}

}  // namespace jobq::worker
