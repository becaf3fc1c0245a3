#include "broker/core/workflow_inputs.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/job_state.h"
#include "common/json_depth.h"
#include "common/utf8.h"

namespace jobq::broker::core {
namespace {

// Appends `text` (valid UTF-8) as a JSON string. By hand: a chord's
// callback quotes one key per parent, and nlohmann's dump() of a temporary
// value cost more than the rest of its release.
void AppendQuoted(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[byte >> 4]);
      out->push_back(kHex[byte & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

std::string Quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendQuoted(&out, text);
  return out;
}

// What most results of small tasks are; valid JSON without a parse.
bool IsPlainScalar(std::string_view text) {
  if (text == "null" || text == "true" || text == "false") {
    return true;
  }
  const size_t digits = text.starts_with('-') ? 1 : 0;
  return text.size() > digits && text.size() <= 18 &&
         text.find_first_not_of("0123456789", digits) == std::string_view::npos &&
         (text[digits] != '0' || text.size() == digits + 1);
}

// A result as a JSON value.
std::string ResultValue(std::string_view result, std::string_view content_type) {
  const bool json_type = content_type.empty() || content_type == "application/json";
  if (json_type && (IsPlainScalar(result) || (!result.empty() && CheckJsonBounded(result).ok()))) {
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
      if (!inputs.empty()) {
        inputs.push_back(',');
      }
      AppendQuoted(&inputs, parent.key);
      inputs.push_back(':');
      inputs += ResultValue(parent.result, parent.content_type);
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
