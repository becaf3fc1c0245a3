#pragma once
// The payload of `jobq submit TASK`: a JSON object built from `--json` and
// `--arg KEY=VALUE` (DESIGN.md §10a). Pure functions; thread-safe.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace jobq::cli {

// Parses one `--arg KEY=VALUE`, splitting at the first '='. VALUE is taken
// as JSON when it parses as JSON (`n=5` a number, `xs=[1,2]` an array,
// `ok=true` a boolean), else as a string (`s=abc`, `k=` the empty string).
// kInvalidArgument when there is no '=', KEY is empty, or VALUE is JSON that
// would nest the arguments deeper than kJsonDepthMax (common/json_depth.h).
absl::StatusOr<std::pair<std::string, nlohmann::ordered_json>> ParseArgAssignment(
    std::string_view text);

// The job's arguments: the `--json` object (or {} without one), then every
// `--arg` in order, later ones replacing earlier keys. kInvalidArgument
// when `--json` is not a JSON object, nests deeper than kJsonDepthMax, or
// an `--arg` is malformed.
absl::StatusOr<nlohmann::ordered_json> BuildArgsObject(const std::optional<std::string>& json_text,
                                                       const std::vector<std::string>& args);

}  // namespace jobq::cli
