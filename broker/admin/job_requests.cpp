#include "broker/admin/job_requests.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/job_id.h"
#include "common/job_state.h"

namespace jobq::broker::admin {

absl::StatusOr<std::string> NormalizeJobId(std::string_view id, std::string_view field) {
  if (id.size() == JobId::kSize) {
    return std::string(id);
  }
  if (std::optional<JobId> parsed = JobId::Parse(id)) {
    return std::string(parsed->Bytes());
  }
  // The bytes may be anything; echoing them back could garble the message.
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field),
                   " is not a job id: expected the 36-character UUID text jobq prints (e.g. "
                   "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f) or its 16 bytes, got ",
                   id.size(), " bytes"));
}

absl::Status NormalizeListJobs(jobq::admin::ListJobsRequest* request) {
  if (!request->state_name().empty()) {
    absl::StatusOr<wire::JobState> state = ParseJobStateName(request->state_name());
    if (!state.ok()) {
      return state.status();
    }
    request->set_state(*state);
    request->clear_state_name();
  } else if (!wire::JobState_IsValid(request->state())) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown job state ", static_cast<int>(request->state())));
  }
  if (!request->page_token().empty()) {
    if (!request->page_after().empty()) {
      return absl::InvalidArgumentError("give page_token or page_after, not both");
    }
    // The token is a job id's text (ServeListJobs makes it).
    std::optional<JobId> after = JobId::Parse(request->page_token());
    if (!after) {
      return absl::InvalidArgumentError(
          "page_token is not one this broker gave out: pass next_page_token as it came");
    }
    request->set_page_after(std::string(after->Bytes()));
    request->clear_page_token();
  }
  if (!request->page_after().empty()) {
    absl::StatusOr<std::string> after = NormalizeJobId(request->page_after(), "page_after");
    if (!after.ok()) {
      return after.status();
    }
    request->set_page_after(*std::move(after));
  }
  if (request->limit() == 0) {
    request->set_limit(kDefaultListLimit);
  } else if (request->limit() > kMaxListLimit) {
    request->set_limit(kMaxListLimit);
  }
  return absl::OkStatus();
}

absl::Status NormalizeGetJob(jobq::admin::GetJobRequest* request) {
  absl::StatusOr<std::string> id = NormalizeJobId(request->id(), "id");
  if (!id.ok()) {
    return id.status();
  }
  request->set_id(*std::move(id));
  return absl::OkStatus();
}

namespace {

// The ids of a request that acts on jobs, checked and normalized in place;
// all or nothing: one bad id and no job is touched. `verb` says what the
// request would do to them.
absl::Status NormalizeJobIds(google::protobuf::RepeatedPtrField<std::string>* ids,
                             const char* verb) {
  if (ids->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no job ids to ", verb));
  }
  if (ids->size() > kMaxRetryIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxRetryIds, " ids per call, got ", ids->size()));
  }
  for (int i = 0; i < ids->size(); ++i) {
    absl::StatusOr<std::string> id = NormalizeJobId(ids->Get(i), absl::StrCat("ids[", i, "]"));
    if (!id.ok()) {
      return id.status();
    }
    *ids->Mutable(i) = *std::move(id);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status NormalizeRetryJobs(jobq::admin::RetryJobsRequest* request) {
  return NormalizeJobIds(request->mutable_ids(), "retry");
}

absl::Status NormalizeCancelJobs(jobq::admin::CancelJobsRequest* request) {
  return NormalizeJobIds(request->mutable_ids(), "cancel");
}

absl::Status CheckName(std::string_view name, std::string_view what) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is empty"));
  }
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " is ", name.size(), " bytes; at most ", kMaxNameBytes));
  }
  return absl::OkStatus();
}

uint32_t WatchIntervalMs(uint32_t requested_ms) {
  if (requested_ms == 0) {
    return kDefaultWatchIntervalMs;
  }
  return std::clamp(requested_ms, kMinWatchIntervalMs, kMaxWatchIntervalMs);
}

}  // namespace jobq::broker::admin
