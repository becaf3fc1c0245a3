#include "broker/core/workflow_inputs.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/job_state.h"
#include "common/json_depth.h"
#include "common/utf8.h"

namespace jobq::broker::core {
namespace {

std::string Quoted(std::string_view text) {
  // Callers pass valid UTF-8 only; replace keeps dump() from throwing anyway.
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A result as a JSON value.
std::string ResultValue(std::string_view result, std::string_view content_type) {
  const bool json_type = content_type.empty() || content_type == "application/json";
  if (json_type && !result.empty() && CheckJsonBounded(result).ok()) {
    return std::string(result);
  }
  if (result.empty()) {
    return "null";
  }
  if (IsValidUtf8(result)) {
    return Quoted(result);
  }
  return absl::StrCat(
      "{\"base64\":", Quoted(absl::Base64Escape(absl::string_view(result.data(), result.size()))),
      "}");
}

}  // namespace

absl::StatusOr<std::string> BuildInputs(std::span<const ParentOutcome> parents, size_t bytes_max) {
  std::string inputs;
  std::string errors;
  for (const ParentOutcome& parent : parents) {
    if (parent.state == wire::JOB_STATE_SUCCEEDED) {
      absl::StrAppend(&inputs, inputs.empty() ? "" : ",", Quoted(parent.key), ":",
                      ResultValue(parent.result, parent.content_type));
    } else {
      const wire::ErrorInfo empty;
      const wire::ErrorInfo& error = parent.error != nullptr ? *parent.error : empty;
      absl::StrAppend(&errors, errors.empty() ? "" : ",", Quoted(parent.key),
                      ":{\"state\":", Quoted(JobStateName(parent.state)),
                      ",\"type\":", Quoted(error.type()), ",\"message\":", Quoted(error.message()),
                      "}");
    }
    if (inputs.size() + errors.size() > bytes_max) {
      break;
    }
  }
  std::string object = absl::StrCat("{\"inputs\":{", inputs, "}");
  if (!errors.empty()) {
    absl::StrAppend(&object, ",\"upstream_errors\":{", errors, "}");
  }
  object += "}";
  if (object.size() > bytes_max) {
    return absl::ResourceExhaustedError(
        absl::StrCat("its parents' results come to more than ", bytes_max,
                     " bytes, the most a job's inputs may hold (--result-max)"));
  }
  return object;
}

std::string MergeInputs(std::string_view payload, std::string_view inputs) {
  // Both are JSON objects (CheckChildPayload, BuildInputs): the members of
  // `inputs` go before the payload's closing brace.
  const size_t close = payload.find_last_of('}');
  if (close == std::string_view::npos) {
    return std::string(inputs);
  }
  const std::string_view head = payload.substr(0, close);
  const bool has_members = head.find_first_not_of(" \t\r\n{") != std::string_view::npos;
  const std::string_view members = inputs.substr(1, inputs.size() - 2);
  std::string merged(head);
  if (has_members) {
    merged += ',';
  }
  merged += members;
  merged += payload.substr(close);
  return merged;
}

}  // namespace jobq::broker::core
