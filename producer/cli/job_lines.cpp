#include "producer/cli/job_lines.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"
#include "common/json_depth.h"
#include "producer/cli/job_fields.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

const Clock& WallClock() {
  static const Clock* const clock = new RealClock();  // never destroyed: no exit-time order
  return *clock;
}

constexpr std::array<const char*, 11> kFields = {"task",     "args",    "queue",   "kind",
                                                 "priority", "timeout", "retries", "backoff",
                                                 "key",      "delay",   "at"};

// The value itself for a scalar ("got 1.5", "got \"io\""), the type for
// an object or array, which could be long.
std::string Describe(const Json& value) {
  if (value.is_structured()) {
    return absl::StrCat("a JSON ", value.type_name());
  }
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  constexpr size_t kMaxChars = 40;
  if (text.size() > kMaxChars) {
    text = absl::StrCat(text.substr(0, kMaxChars), "...");
  }
  return text;
}

absl::Status FieldTypeError(const std::string& field, const char* expected, const Json& value) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", field, "\" must be ", expected, ", got ", Describe(value)));
}

absl::Status FieldValueError(const std::string& field, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", field, "\" ", status.message()));
}

// nlohmann's messages start "[json.exception.parse_error.101] parse error
// at line 1, column 5: ..."; the line is always 1 here and the caller adds
// the real one.
std::string CleanParseError(std::string_view what) {
  if (size_t bracket = what.find("] "); bracket != std::string_view::npos) {
    what.remove_prefix(bracket + 2);
  }
  std::string text(what);
  if (size_t at = text.find("at line 1, "); at != std::string::npos) {
    text.erase(at + 3, 8);  // "at line 1, column 5" -> "at column 5"
  }
  return text;
}

// JSON integers may be unsigned 64-bit; saturate so range checks still see
// them as too large.
int64_t SaturatedInt64(const Json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t unsigned_value = value.get<uint64_t>();
    return unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(unsigned_value);
  }
  return value.get<int64_t>();
}

// Seconds like "timeout", or a duration string like "500ms".
absl::StatusOr<int64_t> DurationFieldMs(const std::string& field, const Json& value) {
  if (!value.is_number() && !value.is_string()) {
    return FieldTypeError(field, "seconds or a duration like \"500ms\"", value);
  }
  absl::StatusOr<int64_t> ms = value.is_number()
                                   ? ParseDurationMs(absl::StrCat(value.get<double>()))
                                   : ParseDurationMs(value.get_ref<const std::string&>());
  if (!ms.ok()) {
    return FieldValueError(field, ms.status());
  }
  return ms;
}

absl::Status ApplyField(const std::string& field, const Json& value, TimeMs now_ms,
                        wire::JobSpec* spec) {
  if (field == "task") {
    if (!value.is_string()) {
      return FieldTypeError(field, "a string", value);
    }
    if (value.get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError("field \"task\" must not be empty");
    }
    spec->set_task(value.get<std::string>());
  } else if (field == "args") {
    if (!value.is_object()) {
      return FieldTypeError(field, "a JSON object", value);
    }
    spec->set_payload(value.dump(-1, ' ', false, Json::error_handler_t::replace));
  } else if (field == "queue") {
    if (!value.is_string()) {
      return FieldTypeError(field, "a string", value);
    }
    spec->set_queue(value.get<std::string>());
  } else if (field == "kind") {
    if (!value.is_string()) {
      return FieldTypeError(field, "\"io\" or \"cpu\"", value);
    }
    absl::StatusOr<wire::Kind> kind = ParseKind(value.get_ref<const std::string&>());
    if (!kind.ok()) {
      return FieldValueError(field, kind.status());
    }
    spec->set_kind(*kind);
  } else if (field == "priority") {
    if (!value.is_number_integer()) {
      return FieldTypeError(field, "an integer", value);
    }
    const int64_t priority = SaturatedInt64(value);
    if (priority < std::numeric_limits<int32_t>::min() ||
        priority > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"priority\" must be from ", std::numeric_limits<int32_t>::min(),
                       " to ", std::numeric_limits<int32_t>::max(), ", got ", Describe(value)));
    }
    spec->set_priority(static_cast<int32_t>(priority));
  } else if (field == "timeout") {
    if (!value.is_number()) {
      return FieldTypeError(field, "a number of seconds", value);
    }
    absl::StatusOr<int64_t> timeout_ms = TimeoutSecondsToMs(value.get<double>());
    if (!timeout_ms.ok()) {
      return FieldValueError(field, timeout_ms.status());
    }
    spec->set_timeout_ms(*timeout_ms);
  } else if (field == "retries") {
    if (!value.is_number_integer()) {
      return FieldTypeError(field, "a whole number", value);
    }
    absl::StatusOr<uint32_t> max_attempts = RetriesToMaxAttempts(SaturatedInt64(value));
    if (!max_attempts.ok()) {
      return FieldValueError(field, max_attempts.status());
    }
    spec->set_max_attempts(*max_attempts);
  } else if (field == "backoff") {
    absl::StatusOr<int64_t> backoff_ms = DurationFieldMs(field, value);
    if (!backoff_ms.ok()) {
      return backoff_ms.status();
    }
    if (*backoff_ms <= 0) {
      return FieldValueError(field, absl::InvalidArgumentError("must be positive"));
    }
    spec->set_backoff_ms(*backoff_ms);
  } else if (field == "key") {
    if (!value.is_string()) {
      return FieldTypeError(field, "a string", value);
    }
    spec->set_idempotency_key(value.get<std::string>());
  } else if (field == "delay") {
    absl::StatusOr<int64_t> delay_ms = DurationFieldMs(field, value);
    if (!delay_ms.ok()) {
      return delay_ms.status();
    }
    spec->set_not_before_ms(now_ms + *delay_ms);
  } else if (field == "at") {
    if (!value.is_string()) {
      return FieldTypeError(field, "an RFC 3339 time such as \"2026-12-24T18:00:00Z\"", value);
    }
    absl::StatusOr<int64_t> not_before_ms =
        AtToNotBeforeMs(value.get_ref<const std::string&>(), now_ms);
    if (!not_before_ms.ok()) {
      return FieldValueError(field, not_before_ms.status());
    }
    spec->set_not_before_ms(*not_before_ms);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown field \"", field, "\"; known fields: ", absl::StrJoin(kFields, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsJobField(std::string_view field) {
  return std::find(kFields.begin(), kFields.end(), field) != kFields.end();
}

absl::Status ApplyJobField(const std::string& field, const nlohmann::ordered_json& value,
                           TimeMs now_ms, wire::JobSpec* spec) {
  return ApplyField(field, value, now_ms, spec);
}

absl::StatusOr<std::optional<wire::JobSpec>> ParseJobLine(std::string_view line) {
  return ParseJobLine(line, WallNowMs());
}

absl::StatusOr<std::optional<wire::JobSpec>> ParseJobLine(std::string_view line, TimeMs now_ms) {
  if (absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size())).empty()) {
    return std::nullopt;
  }
  // Bounded: "args" is dumped into the payload, recursively, and a
  // 50,000-deep line would overflow the stack; the worker would refuse it
  // anyway.
  Json object;
  if (absl::Status status = ParseJsonBounded(line, &object); !status.ok()) {
    return absl::InvalidArgumentError(
        IsJsonTooDeep(status)
            ? absl::StrCat("JSON ", status.message())
            : absl::StrCat("invalid JSON: ", CleanParseError(std::string(status.message()))));
  }
  if (!object.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a JSON object such as {\"task\": \"noop\"}, got ", Describe(object)));
  }
  // Unknown fields first (a misspelt "task" should not read as a missing
  // one), then the known fields in a fixed order, so the error reported
  // for a line does not depend on how its keys happen to be ordered.
  wire::JobSpec spec;
  for (const auto& [field, value] : object.items()) {
    if (std::find(kFields.begin(), kFields.end(), field) == kFields.end()) {
      return ApplyField(field, value, now_ms, &spec);  // reports the unknown field
    }
  }
  if (!object.contains("task")) {
    return absl::InvalidArgumentError("missing required field \"task\"");
  }
  if (object.contains("delay") && object.contains("at")) {
    return absl::InvalidArgumentError(
        "give either \"delay\" (from now) or \"at\" (a time), not both");
  }
  spec.set_content_type(std::string(kJsonContentType));
  spec.set_payload("{}");
  for (const char* field : kFields) {
    if (auto it = object.find(field); it != object.end()) {
      if (absl::Status status = ApplyField(field, *it, now_ms, &spec); !status.ok()) {
        return status;
      }
    }
  }
  return spec;
}

JobLineReader::JobLineReader(std::istream& in) : JobLineReader(in, WallClock()) {}

absl::StatusOr<std::optional<wire::JobSpec>> JobLineReader::Next() {
  while (std::getline(in_, line_)) {
    ++line_number_;
    if (!line_.empty() && line_.back() == '\r') {
      line_.pop_back();  // CRLF files
    }
    absl::StatusOr<std::optional<wire::JobSpec>> job = ParseJobLine(line_, clock_.NowMs());
    if (!job.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number_, ": ", job.status().message()));
    }
    if (job->has_value()) {
      return job;
    }
  }
  if (in_.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("reading failed after line ", line_number_));
  }
  return std::nullopt;
}

JobLinesCheck CheckJobLines(std::istream& in, size_t max_errors) {
  JobLinesCheck check;
  JobLineReader reader(in);
  while (true) {
    absl::StatusOr<std::optional<wire::JobSpec>> job = reader.Next();
    if (job.ok()) {
      if (!job->has_value()) {
        return check;
      }
      ++check.jobs;
      continue;
    }
    ++check.invalid_lines;
    if (check.errors.size() < max_errors) {
      check.errors.emplace_back(job.status().message());
    }
    if (in.bad()) {
      return check;  // a read error, not a line: nothing further to read
    }
  }
}

}  // namespace jobq::cli
