#include "producer/cli/retry_lines.h"

#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "common/job_state.h"
#include "producer/cli/jobs_table.h"

namespace jobq::cli {
namespace {

// For a broker that sent no message of its own.
std::string_view DefaultMessage(admin::RetryJobResult::Outcome outcome) {
  switch (outcome) {
    case admin::RetryJobResult::OUTCOME_RETRIED:
      return "retried";
    case admin::RetryJobResult::OUTCOME_UNKNOWN_JOB:
      return "not retried: no such job";
    case admin::RetryJobResult::OUTCOME_NOT_FINISHED:
      return "not retried: only dead, failed or cancelled jobs can be retried";
    case admin::RetryJobResult::OUTCOME_SHUTTING_DOWN:
      return "not retried: the broker is shutting down";
    case admin::RetryJobResult::OUTCOME_WAITS_FOR_PARENTS:
      return "not retried: cancelled because a parent failed; retry that parent and it comes "
             "back with it";
    default:
      return "not retried";
  }
}

}  // namespace

std::string FormatRetryLine(const admin::RetryJobResult& result) {
  const std::string message =
      result.message().empty() ? std::string(DefaultMessage(result.outcome())) : result.message();
  return absl::StrCat(JobIdText(result.id()), ": ", OneLine(message, message.size()));
}

std::string FormatRetryJson(const admin::RetryJobResult& result) {
  std::string outcome = "unspecified";
  switch (result.outcome()) {
    case admin::RetryJobResult::OUTCOME_RETRIED:
      outcome = "retried";
      break;
    case admin::RetryJobResult::OUTCOME_UNKNOWN_JOB:
      outcome = "unknown_job";
      break;
    case admin::RetryJobResult::OUTCOME_NOT_FINISHED:
      outcome = "not_finished";
      break;
    case admin::RetryJobResult::OUTCOME_SHUTTING_DOWN:
      outcome = "shutting_down";
      break;
    case admin::RetryJobResult::OUTCOME_WAITS_FOR_PARENTS:
      outcome = "waits_for_parents";
      break;
    default:
      break;
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["id"] = JobIdText(result.id());
  json["outcome"] = outcome;
  if (result.state() != wire::JOB_STATE_UNSPECIFIED) {
    json["state"] = std::string(JobStateName(result.state()));
  }
  json["message"] =
      result.message().empty() ? std::string(DefaultMessage(result.outcome())) : result.message();
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace jobq::cli
