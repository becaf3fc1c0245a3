#include "producer/cli/output_lines.h"

#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/json_depth.h"
#include "producer/cli/job_fields.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

Json ErrorJson(const wire::ErrorInfo& error) {
  Json json = Json::object();
  json["type"] = error.type();
  json["message"] = error.message();
  if (!error.exception().empty()) {
    json["exception"] = error.exception();
  }
  if (!error.detail().empty()) {
    json["detail"] = error.detail();
  }
  return json;
}

bool IsJsonContentType(std::string_view content_type) {
  if (content_type.empty()) {
    return true;
  }
  // Parameters such as "; charset=utf-8" do not change the format.
  std::string_view media_type = content_type.substr(0, content_type.find(';'));
  return absl::EqualsIgnoreCase(
      absl::StripAsciiWhitespace(absl::string_view(media_type.data(), media_type.size())),
      absl::string_view(kJsonContentType.data(), kJsonContentType.size()));
}

}  // namespace

std::string FormatAckLine(const JobId& id, bool duplicate) {
  Json json = Json::object();
  json["id"] = id.ToString();
  if (duplicate) {
    json["duplicate"] = true;  // only then: the plain line stays as scripts know it
  }
  return DumpJsonLine(json);
}

std::string FormatDuplicateNote(const JobId& id) {
  return id.ToString() + " (already submitted with this key)";
}

std::string FormatRejectionLine(const wire::ErrorInfo& error, std::optional<uint64_t> line) {
  Json json = Json::object();
  if (line) {
    json["line"] = *line;
  }
  json["error"] = ErrorJson(error);
  return DumpJsonLine(json);
}

Json ResultToJson(const Outcome& outcome) {
  if (outcome.result.empty()) {
    return nullptr;
  }
  if (IsJsonContentType(outcome.content_type)) {
    // A result nested too deep to print safely is shown as the string it is.
    Json parsed;
    if (ParseJsonBounded(outcome.result, &parsed).ok()) {
      return parsed;
    }
  }
  return outcome.result;
}

std::string FormatOutcomeLine(const Outcome& outcome) {
  Json json = Json::object();
  json["id"] = outcome.id.ToString();
  json["state"] = std::string(JobStateName(outcome.state));
  json["attempts"] = outcome.attempts;
  if (outcome.succeeded()) {
    json["result"] = ResultToJson(outcome);
  } else {
    json["error"] = ErrorJson(outcome.error);
  }
  return DumpJsonLine(json);
}

std::string DumpJsonLine(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace jobq::cli
