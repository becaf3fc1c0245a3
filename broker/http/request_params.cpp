#include "broker/http/request_params.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/hex.h"
#include "common/job_id.h"
#include "common/job_state.h"
#include "common/json_depth.h"
#include "common/workflow_state.h"

namespace jobq::broker::http {
namespace {

constexpr size_t kParametersMax = 16;
// Bodies are small objects; anything nested deeper is not one of ours.
constexpr int kBodyDepthMax = 8;

// Shown in messages: what the client sent, cut, so a huge or binary value
// does not make a huge or garbled message (the JSON encoder replaces bytes
// that are not UTF-8).
std::string Shown(std::string_view text) {
  constexpr size_t kShownMax = 64;
  return text.size() <= kShownMax ? std::string(text)
                                  : std::string(text.substr(0, kShownMax)) + "...";
}

absl::StatusOr<std::string> Decode(std::string_view text, bool plus_is_space,
                                   std::string_view what) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int high = i + 2 < text.size() ? HexDigitValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexDigitValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            std::string(what), " has a malformed %-escape: write %XX with two hex digits"));
      }
      const char byte = static_cast<char>(high * 16 + low);
      if (byte == '\0') {
        return absl::InvalidArgumentError(
            absl::StrCat(std::string(what), " must not contain a NUL byte"));
      }
      decoded += byte;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      decoded += ' ';
    } else {
      decoded += c;
    }
  }
  return decoded;
}

absl::Status UnknownParameter(const std::string& name, std::string_view known) {
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter \"", Shown(name),
                                                 "\": this route takes ", std::string(known)));
}

absl::StatusOr<uint32_t> ParseLimit(const std::string& text) {
  uint32_t limit = 0;
  if (!absl::SimpleAtoi(text, &limit) || limit < 1 || limit > kPageLimitMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be 1..", kPageLimitMax, ", not \"", Shown(text), "\""));
  }
  return limit;
}

absl::StatusOr<nlohmann::json> ParseObject(std::string_view body, std::string_view shape) {
  nlohmann::json json;
  if (!ParseJsonBounded(body, &json, kBodyDepthMax).ok() || !json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("the body must be a JSON object ",
                                                   std::string(shape),
                                                   " (Content-Type: application/json)"));
  }
  return json;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view text, std::string_view what) {
  return Decode(text, /*plus_is_space=*/false, what);
}

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) {
      continue;
    }
    if (parameters.size() == kParametersMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("too many parameters: at most ", kParametersMax));
    }
    const size_t equals = pair.find('=');
    absl::StatusOr<std::string> name = Decode(pair.substr(0, equals), true, "a parameter name");
    if (!name.ok()) {
      return name.status();
    }
    absl::StatusOr<std::string> value =
        Decode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1),
               true, absl::StrCat("parameter ", Shown(*name)));
    if (!value.ok()) {
      return value.status();
    }
    if (!parameters.emplace(*name, *std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter ", Shown(*name), " is given twice; give it once"));
    }
  }
  return parameters;
}

absl::StatusOr<std::string> ParseJobIdText(std::string_view text) {
  // Only the text form: 16 raw bytes, which the gRPC API also takes, are
  // not something a URL or a page should carry.
  std::optional<JobId> id = text.size() == JobId::kSize ? std::nullopt : JobId::Parse(text);
  if (!id) {
    return absl::InvalidArgumentError(absl::StrCat("bad job id \"", Shown(text),
                                                   "\": expected the 36-character text jobq prints "
                                                   "(e.g. 0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f)"));
  }
  return std::string(id->Bytes());
}

namespace {

// "limit" or "after", which every listing takes alike, into its request.
template <typename Request>
absl::Status ApplyPageParameter(const std::string& name, const std::string& value,
                                Request* request) {
  if (name == "limit") {
    absl::StatusOr<uint32_t> limit = ParseLimit(value);
    if (!limit.ok()) {
      return limit.status();
    }
    request->set_limit(*limit);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> after = ParseJobIdText(value);
  if (!after.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("after: ", after.status().message()));
  }
  request->set_page_after(*std::move(after));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<::jobq::admin::ListJobsRequest> ParseJobsQuery(std::string_view query) {
  absl::StatusOr<std::map<std::string, std::string>> parameters = ParseQuery(query);
  if (!parameters.ok()) {
    return parameters.status();
  }
  ::jobq::admin::ListJobsRequest request;
  request.set_limit(kDefaultPageLimit);
  for (const auto& [name, value] : *parameters) {
    if (value.empty()) {
      continue;  // an empty filter is no filter (a form's empty field)
    }
    if (name == "state") {
      absl::StatusOr<wire::JobState> state = ParseJobStateName(value);
      if (!state.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "state must be one of blocked, scheduled, queued, running, succeeded, failed, dead, "
            "cancelled; not \"",
            Shown(value), "\""));
      }
      request.set_state_name(std::string(JobStateName(*state)));
    } else if (name == "queue") {
      request.set_queue(value);
    } else if (name == "task") {
      request.set_task(value);
    } else if (name == "limit" || name == "after") {
      if (absl::Status paged = ApplyPageParameter(name, value, &request); !paged.ok()) {
        return paged;
      }
    } else {
      return UnknownParameter(name, "state, queue, task, limit and after");
    }
  }
  return request;
}

absl::StatusOr<::jobq::admin::ListWorkflowsRequest> ParseWorkflowsQuery(std::string_view query) {
  absl::StatusOr<std::map<std::string, std::string>> parameters = ParseQuery(query);
  if (!parameters.ok()) {
    return parameters.status();
  }
  ::jobq::admin::ListWorkflowsRequest request;
  request.set_limit(kDefaultPageLimit);
  for (const auto& [name, value] : *parameters) {
    if (value.empty()) {
      continue;
    }
    if (name == "state") {
      absl::StatusOr<::jobq::admin::WorkflowState> state = ParseWorkflowStateName(value);
      if (!state.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("state must be one of running, succeeded, failed, cancelled; not \"",
                         Shown(value), "\""));
      }
      request.set_state_name(std::string(WorkflowStateName(*state)));
    } else if (name == "limit" || name == "after") {
      if (absl::Status paged = ApplyPageParameter(name, value, &request); !paged.ok()) {
        return paged;
      }
    } else {
      return UnknownParameter(name, "state, limit and after");
    }
  }
  return request;
}

absl::StatusOr<std::vector<std::string>> ParseIdsBody(std::string_view body) {
  constexpr const char* kShape = "{\"ids\": [\"ID\", ...]}";
  absl::StatusOr<nlohmann::json> json = ParseObject(body, kShape);
  if (!json.ok()) {
    return json.status();
  }
  const auto ids = json->find("ids");
  if (ids == json->end() || !ids->is_array() || ids->empty() || ids->size() > kActionIdsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("ids must be an array of 1..", kActionIdsMax, " job ids: ", kShape));
  }
  if (json->size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("the body takes only ids: ", kShape));
  }
  std::vector<std::string> parsed;
  parsed.reserve(ids->size());
  for (const nlohmann::json& id : *ids) {
    if (!id.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("ids must hold job ids as strings: ", kShape));
    }
    absl::StatusOr<std::string> bytes = ParseJobIdText(id.get<std::string>());
    if (!bytes.ok()) {
      return bytes.status();
    }
    parsed.push_back(*std::move(bytes));
  }
  return parsed;
}

absl::StatusOr<std::string> ParseLoginBody(std::string_view body) {
  constexpr const char* kShape = "{\"token\": \"...\"}";
  absl::StatusOr<nlohmann::json> json = ParseObject(body, kShape);
  if (!json.ok()) {
    return json.status();
  }
  const auto token = json->find("token");
  if (token == json->end() || !token->is_string() || token->get<std::string>().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token must be a non-empty string: ", kShape));
  }
  return token->get<std::string>();
}

absl::Status CheckNoQuery(std::string_view query) {
  absl::StatusOr<std::map<std::string, std::string>> parameters = ParseQuery(query);
  if (!parameters.ok()) {
    return parameters.status();
  }
  if (!parameters->empty()) {
    return UnknownParameter(parameters->begin()->first, "no parameters");
  }
  return absl::OkStatus();
}

}  // namespace jobq::broker::http
