#pragma once
// What the limit RPCs (SetLimit, ClearLimit, ListLimits) do to the core and
// answer; run on the loop thread by LoopControl, like admin_answers.h.
// Requests arrive with a queue name checked; the rest is checked here, all
// before anything changes.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/broker_core.h"
#include "broker/core/effects.h"
#include "common/clock.h"
#include "jobq/admin.pb.h"

namespace jobq::broker::control {

// INVALID_ARGUMENT naming the field for a bad rate, burst or cap;
// RESOURCE_EXHAUSTED past the broker's number of limits.
absl::StatusOr<::jobq::admin::SetLimitResponse> AnswerSetLimit(
    core::BrokerCore& core, const ::jobq::admin::SetLimitRequest& request, TimeMs now_ms,
    core::Effects* effects);
// NOT_FOUND for no such limit.
absl::StatusOr<::jobq::admin::ClearLimitResponse> AnswerClearLimit(
    core::BrokerCore& core, const ::jobq::admin::ClearLimitRequest& request,
    core::Effects* effects);
::jobq::admin::ListLimitsResponse AnswerListLimits(const core::BrokerCore& core, TimeMs now_ms);

// A limit as the RPCs show it.
void FillLimit(const core::LimitView& view, ::jobq::admin::Limit* out);

}  // namespace jobq::broker::control
