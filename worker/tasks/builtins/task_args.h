#pragma once
// Argument checks for tasks: each helper reads one argument from a task's
// JSON arguments, or throws TaskError "bad_args" with a message that names
// the task, the argument, what it must be and what was given, e.g.
//   sum_squares: argument "n" must be an integer from 0 to 1000000000000, got -1
// so every task words its argument errors the same way. Stateless, so
// thread-safe. Plugins may use them too (plugin_api.h includes this).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobq::worker {

// `args` itself, when it is a JSON object; otherwise throws, showing
// `example` (e.g. R"({"n": 10})") as the shape expected.
const nlohmann::json& RequireObject(const nlohmann::json& args, std::string_view task,
                                    std::string_view example);

// The argument `name`, required: an integer in [min, max]. A number with a
// fractional part, a string, a bool, null, or a value out of range is
// refused. An integral float such as 1e6 is accepted.
int64_t RequireInt(const nlohmann::json& args, std::string_view task, std::string_view name,
                   int64_t min, int64_t max);

// The argument `name`, required: a number in [min, max].
double RequireNumber(const nlohmann::json& args, std::string_view task, std::string_view name,
                     double min, double max);

// The argument `name` when present and not null: a number in (0, max]; for
// optional timeouts in seconds.
std::optional<double> OptionalPositiveNumber(const nlohmann::json& args, std::string_view task,
                                             std::string_view name, double max);

// The argument `name`, required: a string.
std::string RequireString(const nlohmann::json& args, std::string_view task, std::string_view name);

// The argument `name` when present and not null: a string.
std::optional<std::string> OptionalString(const nlohmann::json& args, std::string_view task,
                                          std::string_view name);

// The argument `name`, required: a non-empty array of strings, each free of
// NUL characters (they become C strings, such as a command's argv).
std::vector<std::string> RequireStringArray(const nlohmann::json& args, std::string_view task,
                                            std::string_view name);

}  // namespace jobq::worker
