#include "producer/cli/result_output.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/jobs_table.h"
#include "producer/cli/output_lines.h"
#include "producer/cli/status_table.h"
#include "producer/client/outcome.h"

namespace jobq::cli {
namespace {

using Json = nlohmann::ordered_json;

Outcome OutcomeOf(const admin::JobInfo& job, const JobId& id) {
  Outcome outcome;
  outcome.id = id;
  outcome.state = job.state();
  outcome.attempts = job.attempts();
  outcome.result = job.result();
  outcome.content_type = job.content_type();
  outcome.error = job.error();
  return outcome;
}

std::string Attempts(uint32_t attempts) {
  return absl::StrCat(attempts, attempts == 1 ? " attempt" : " attempts");
}

// "job X is dead after 3 attempts: type: message", the detail below it,
// and how to run it again.
std::string DescribeUnsuccessful(const admin::JobInfo& job, const std::string& id) {
  std::string text = absl::StrCat("job ", id, " ");
  switch (job.state()) {
    case wire::JOB_STATE_DEAD:
      absl::StrAppend(&text, "is dead after ", Attempts(job.attempts()));
      break;
    case wire::JOB_STATE_CANCELLED:
      absl::StrAppend(&text, "was cancelled");
      break;
    default:
      absl::StrAppend(&text, "failed after ", Attempts(job.attempts()));
      break;
  }
  const wire::ErrorInfo& error = job.error();
  if (!error.type().empty() || !error.message().empty()) {
    absl::StrAppend(&text, ": ", error.type().empty() ? "error" : error.type());
    if (!error.message().empty()) {
      absl::StrAppend(&text, ": ", error.message());
    }
  }
  if (!error.detail().empty()) {
    absl::StrAppend(&text, "\n", error.detail());
  }
  absl::StrAppend(&text, "\n`jobq retry ", id, "` runs it again");
  return text;
}

std::string SucceededText(const admin::JobInfo& job, const std::string& id) {
  switch (ClassifyContentType(job.content_type())) {
    case PayloadKind::kJson:
      if (job.result().empty()) {
        return "null\n";
      }
      break;
    case PayloadKind::kText:
      if (job.result().empty()) {
        return "";
      }
      break;
    case PayloadKind::kBinary:
      return absl::StrCat(
          "job ", id, " succeeded with a binary result: ", FormatBytes(job.result().size()), " of ",
          job.content_type(), "; `jobq result ", id, " --json` prints it as base64\n");
  }
  std::string text = job.result();
  if (text.back() != '\n') {
    text += '\n';
  }
  return text;
}

std::string SucceededJsonLine(const admin::JobInfo& job, const JobId& id) {
  if (ClassifyContentType(job.content_type()) != PayloadKind::kBinary) {
    return FormatOutcomeLine(OutcomeOf(job, id));
  }
  Json json = Json::object();
  json["id"] = id.ToString();
  json["state"] = std::string(JobStateName(job.state()));
  json["attempts"] = job.attempts();
  json["content_type"] = job.content_type();
  json["result_base64"] = absl::Base64Escape(job.result());
  return DumpJsonLine(json);
}

std::string UnfinishedJsonLine(const admin::JobInfo& job, const JobId& id) {
  Json json = Json::object();
  json["id"] = id.ToString();
  json["state"] = std::string(JobStateName(job.state()));
  json["attempts"] = job.attempts();
  return DumpJsonLine(json);
}

}  // namespace

PayloadKind ClassifyContentType(std::string_view content_type) {
  const std::string media_type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      absl::string_view(content_type.data(), content_type.find(';') == std::string_view::npos
                                                 ? content_type.size()
                                                 : content_type.find(';'))));
  if (media_type.empty() || media_type == "application/json") {
    return PayloadKind::kJson;
  }
  if (absl::StartsWith(media_type, "text/") || absl::EndsWith(media_type, "+json") ||
      absl::EndsWith(media_type, "+xml")) {
    return PayloadKind::kText;
  }
  return PayloadKind::kBinary;
}

ResultReport RenderResult(const admin::JobInfo& job, bool json) {
  const std::optional<JobId> parsed = JobId::FromBytes(job.id());
  const JobId id = parsed.value_or(JobId());
  const std::string id_text = JobIdText(job.id());
  ResultReport report;
  if (!IsFinalState(job.state())) {
    report.exit_code = kExitJobsFailed;
    if (json) {
      report.out = UnfinishedJsonLine(job, id) + "\n";
    } else {
      report.err =
          absl::StrCat("job ", id_text, " is still ", std::string(JobStateName(job.state())),
                       "; `jobq wait ", id_text, "` waits for it");
    }
    return report;
  }
  if (job.state() == wire::JOB_STATE_SUCCEEDED) {
    report.out = json ? SucceededJsonLine(job, id) + "\n" : SucceededText(job, id_text);
    return report;
  }
  report.exit_code = kExitJobsFailed;
  if (json) {
    report.out = FormatOutcomeLine(OutcomeOf(job, id)) + "\n";
  } else {
    report.err = DescribeUnsuccessful(job, id_text);
  }
  return report;
}

}  // namespace jobq::cli
