#include "broker/control/limit_answers.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "broker/core/limit_record.h"
#include "broker/core/rate_limit.h"

namespace jobq::broker::control {

void FillLimit(const core::LimitView& view, ::jobq::admin::Limit* out) {
  out->set_queue(view.record.queue);
  out->set_task(view.record.task);
  if (view.record.has_rate()) {
    out->set_rate(core::FormatRate(view.record.rate));
    out->set_burst(static_cast<uint64_t>(view.record.burst));
    out->set_tokens(static_cast<uint64_t>(view.tokens));
  }
  out->set_concurrency(static_cast<uint64_t>(view.record.concurrency));
  out->set_running(static_cast<uint64_t>(std::max<int64_t>(0, view.running)));
  out->set_limited(view.limited);
  out->set_next_token_ms(view.next_token_ms);
}

absl::StatusOr<::jobq::admin::SetLimitResponse> AnswerSetLimit(
    core::BrokerCore& core, const ::jobq::admin::SetLimitRequest& request, TimeMs now_ms,
    core::Effects* effects) {
  core::LimitRecord record;
  record.queue = request.queue();
  record.task = request.task();
  if (!request.rate().empty()) {
    absl::StatusOr<core::RateSpec> rate = core::ParseRate(request.rate());
    if (!rate.ok()) {
      return rate.status();
    }
    record.rate = *rate;
    if (request.burst() > static_cast<uint64_t>(core::kBurstMax)) {
      return absl::InvalidArgumentError(
          absl::StrCat("burst ", request.burst(), " is out of range: give 1 to ", core::kBurstMax));
    }
    record.burst = request.burst() != 0 ? static_cast<int64_t>(request.burst())
                                        : core::DefaultBurst(record.rate);
  } else if (request.burst() != 0) {
    return absl::InvalidArgumentError(
        "a burst is the size of a rate limit's bucket: give a rate with the burst");
  }
  if (request.concurrency() > static_cast<uint64_t>(core::kConcurrencyMax)) {
    return absl::InvalidArgumentError(absl::StrCat("concurrency ", request.concurrency(),
                                                   " is out of range: give 1 to ",
                                                   core::kConcurrencyMax));
  }
  record.concurrency = static_cast<int64_t>(request.concurrency());
  absl::StatusOr<core::LimitRecord> set = core.SetLimit(std::move(record), now_ms, effects);
  if (!set.ok()) {
    return set.status();
  }
  ::jobq::admin::SetLimitResponse response;
  for (const core::LimitView& view : core.Limits(now_ms)) {
    if (view.record.queue == set->queue && view.record.task == set->task) {
      FillLimit(view, response.mutable_limit());
    }
  }
  return response;
}

absl::StatusOr<::jobq::admin::ClearLimitResponse> AnswerClearLimit(
    core::BrokerCore& core, const ::jobq::admin::ClearLimitRequest& request,
    core::Effects* effects) {
  if (!core.ClearLimit(request.queue(), request.task(), effects)) {
    return absl::NotFoundError(absl::StrCat("no limit on ",
                                            core::LimitName(request.queue(), request.task()),
                                            ": jobq limits lists them"));
  }
  return ::jobq::admin::ClearLimitResponse();
}

::jobq::admin::ListLimitsResponse AnswerListLimits(const core::BrokerCore& core, TimeMs now_ms) {
  ::jobq::admin::ListLimitsResponse response;
  for (const core::LimitView& view : core.Limits(now_ms)) {
    FillLimit(view, response.add_limits());
  }
  return response;
}

}  // namespace jobq::broker::control
