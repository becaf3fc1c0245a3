#include "producer/cli/job_args.h"

#include "absl/strings/str_cat.h"
#include "common/json_depth.h"

namespace jobq::cli {

absl::StatusOr<std::pair<std::string, nlohmann::ordered_json>> ParseArgAssignment(
    std::string_view text) {
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--arg '", std::string(text), "' is not KEY=VALUE (for example --arg n=5)"));
  }
  std::string key(text.substr(0, equals));
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--arg '", std::string(text), "' has an empty key"));
  }
  std::string_view value = text.substr(equals + 1);
  // One level under the bound: the value goes into the arguments object,
  // which the worker parses with the bound.
  nlohmann::ordered_json parsed;
  const absl::Status json = ParseJsonBounded(value, &parsed, kJsonDepthMax - 1);
  if (IsJsonTooDeep(json)) {
    return absl::InvalidArgumentError(absl::StrCat("--arg ", key, ": JSON nested deeper than ",
                                                   kJsonDepthMax,
                                                   " levels (with the arguments object)"));
  }
  if (!json.ok()) {
    // Not JSON, so a plain string: saves quoting `--arg url=https://...`.
    parsed = std::string(value);
  }
  return std::make_pair(std::move(key), std::move(parsed));
}

absl::StatusOr<nlohmann::ordered_json> BuildArgsObject(const std::optional<std::string>& json_text,
                                                       const std::vector<std::string>& args) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  if (json_text) {
    const absl::Status json = ParseJsonBounded(*json_text, &object);
    if (IsJsonTooDeep(json)) {
      return absl::InvalidArgumentError(absl::StrCat("--json: JSON ", json.message()));
    }
    if (!json.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--json '", *json_text, "' is not valid JSON"));
    }
    if (!object.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--json must be a JSON object such as '{\"n\": 5}', got ", object.type_name()));
    }
  }
  for (const std::string& arg : args) {
    absl::StatusOr<std::pair<std::string, nlohmann::ordered_json>> parsed = ParseArgAssignment(arg);
    if (!parsed.ok()) {
      return parsed.status();
    }
    object[parsed->first] = std::move(parsed->second);
  }
  return object;
}

}  // namespace jobq::cli
