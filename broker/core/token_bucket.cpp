#include "broker/core/token_bucket.h"

#include <algorithm>
#include <limits>

#include "common/check.h"

namespace jobq::broker::core {
namespace {

// The largest token·ms count a bucket ever computes with: a whole burst
// of the longest period. Every product below is bounded by it.
static_assert(kBurstMax <= std::numeric_limits<int64_t>::max() / kRatePeriodMsMax,
              "burst * period_ms must fit an int64");

void CheckBucketLimits(const RateSpec& rate, int64_t burst) {
  JOBQ_CHECK(CheckRate(rate).ok()) << "a bucket's rate must be checked first: " << rate.count
                                   << " every " << rate.period_ms << " ms";
  JOBQ_CHECK(CheckBurst(burst).ok()) << "a bucket's burst must be checked first: " << burst;
}

// Whole ms until `token_ms` more token·ms have been gained: ceil(token_ms /
// count). token_ms <= kBurstMax * kRatePeriodMsMax, so adding count - 1
// cannot overflow.
int64_t MsToGain(int64_t token_ms, int64_t count) { return (token_ms + count - 1) / count; }

}  // namespace

TokenBucket::TokenBucket(const RateSpec& rate, int64_t burst, TimeMs now_ms)
    : TokenBucket(rate, burst, TokenBucketState{burst, 0, now_ms}) {}

TokenBucket::TokenBucket(const RateSpec& rate, int64_t burst, const TokenBucketState& state)
    : rate_(rate), burst_(burst), state_(state) {
  CheckBucketLimits(rate, burst);
}

TokenBucket TokenBucket::FromState(const RateSpec& rate, int64_t burst,
                                   const TokenBucketState& state) {
  CheckBucketLimits(rate, burst);  // before the clamps, which need a valid burst and period
  TokenBucketState clamped = state;
  clamped.tokens = std::clamp<int64_t>(state.tokens, 0, burst);
  if (clamped.remainder_token_ms < 0 || clamped.remainder_token_ms >= rate.period_ms ||
      clamped.tokens == burst) {
    // A full bucket gains nothing, so it holds no part of a token either:
    // Refilled() relies on that.
    clamped.remainder_token_ms = 0;
  }
  return TokenBucket(rate, burst, clamped);
}

TokenBucketState TokenBucket::Refilled(TimeMs now_ms) const {
  TokenBucketState next = state_;
  next.last_refill_ms = now_ms;
  if (now_ms <= state_.last_refill_ms || state_.tokens >= burst_) {
    return next;  // backwards or standing still mints nothing; full stays full
  }
  // now_ms > last_refill_ms, so the difference is positive and, in uint64,
  // exact even from INT64_MIN to INT64_MAX.
  const uint64_t elapsed_ms =
      static_cast<uint64_t>(now_ms) - static_cast<uint64_t>(state_.last_refill_ms);
  const int64_t to_fill_token_ms =
      (burst_ - state_.tokens) * rate_.period_ms - state_.remainder_token_ms;
  const int64_t fill_ms = MsToGain(to_fill_token_ms, rate_.count);
  if (elapsed_ms >= static_cast<uint64_t>(fill_ms)) {
    next.tokens = burst_;
    next.remainder_token_ms = 0;
    return next;
  }
  // elapsed_ms < ceil(to_fill / count), so elapsed_ms * count < to_fill and
  // the sum stays below (burst - tokens) * period_ms: no overflow, and the
  // bucket is not yet full.
  const int64_t gained_token_ms =
      static_cast<int64_t>(elapsed_ms) * rate_.count + state_.remainder_token_ms;
  next.tokens += gained_token_ms / rate_.period_ms;
  next.remainder_token_ms = gained_token_ms % rate_.period_ms;
  return next;
}

void TokenBucket::Refill(TimeMs now_ms) { state_ = Refilled(now_ms); }

bool TokenBucket::TryTake(TimeMs now_ms, int64_t n) {
  JOBQ_CHECK(n >= 0) << "cannot take " << n << " tokens";
  Refill(now_ms);
  if (n > state_.tokens) {
    return false;
  }
  state_.tokens -= n;
  return true;
}

int64_t TokenBucket::Available(TimeMs now_ms) const { return Refilled(now_ms).tokens; }

TimeMs TokenBucket::NextTokenAt(TimeMs now_ms, int64_t n) const {
  JOBQ_CHECK(n >= 1 && n <= burst_)
      << "a bucket of " << burst_ << " never holds " << n << " tokens";
  const TokenBucketState now = Refilled(now_ms);
  if (now.tokens >= n) {
    return now_ms;
  }
  const int64_t wait_ms =
      MsToGain((n - now.tokens) * rate_.period_ms - now.remainder_token_ms, rate_.count);
  if (now_ms > std::numeric_limits<TimeMs>::max() - wait_ms) {
    return std::numeric_limits<TimeMs>::max();
  }
  return now_ms + wait_ms;
}

void TokenBucket::Reconfigure(const RateSpec& rate, int64_t burst, TimeMs now_ms) {
  CheckBucketLimits(rate, burst);
  Refill(now_ms);
  rate_ = rate;
  burst_ = burst;
  state_.tokens = std::min(state_.tokens, burst);
  state_.remainder_token_ms = 0;
}

}  // namespace jobq::broker::core
