// Rates, bursts and concurrency caps as typed (broker/core/rate_limit.h),
// and the token bucket (broker/core/token_bucket.h) under any sequence of
// takes, refills, restarts and changed bursts at any int64 times, forwards
// and backwards.
//
// Any text either parses into a value within bounds (a rate in lowest terms
// that FormatRate shows and ParseRate reads back) or is refused with
// INVALID_ARGUMENT naming the text. The bucket never hands out more than
// burst + floor(count * forward_ms / period_ms), where forward_ms adds up
// every forward step of the clock (time going back mints nothing, and
// counts on from the earlier time), and agrees at every step with a model
// that adds up token·ms in 128 bits; NextTokenAt is the first millisecond
// with the tokens asked for.
//
// Input (tests/fuzz/fuzz_input.h's ByteReader; past the end, zeros):
//   u16 length + rate text; when it does not parse, u16 a, u16 b: the rate
//     a % (1000 * (b + 1)) + 1 tokens every b + 1 ms
//   u8 burst: 0 the default, 255 kBurstMax, else itself
//   u8 start: 0 kStartMs, 1 the smallest int64, 2 the largest, else kStartMs
//     plus start hours
//   then steps until the end, each: u8 op, u8 how, u16 ms
//     op % 5: 0 take (op / 5 + 1 tokens), 1 refill, 2 query, 3 restart
//             from state(), 4 new burst (op / 5 + 1)
//     how % 8: 0-4 forward ms, 5 forward ms << 20, 6 forward ms << 40,
//              7 back ms << (how / 8)

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>

#include "broker/core/rate_limit.h"
#include "broker/core/token_bucket.h"
#include "common/check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using jobq::TimeMs;
using jobq::broker::core::RateSpec;
using jobq::broker::core::TokenBucket;

constexpr TimeMs kStartMs = 1'700'000'000'000;
constexpr TimeMs kTimeMin = std::numeric_limits<TimeMs>::min();
constexpr TimeMs kTimeMax = std::numeric_limits<TimeMs>::max();

// Every refusal is INVALID_ARGUMENT and names what was typed.
template <typename T>
void CheckRefusal(const absl::StatusOr<T>& result, std::string_view text) {
  JOBQ_CHECK(result.status().code() == absl::StatusCode::kInvalidArgument) << result.status();
  JOBQ_CHECK(std::string(result.status().message()).find(std::string(text)) != std::string::npos)
      << result.status();
}

void CheckWhole(const absl::StatusOr<int64_t>& result, std::string_view text, int64_t max) {
  if (result.ok()) {
    JOBQ_CHECK(*result >= 1 && *result <= max) << *result;
  } else {
    CheckRefusal(result, text);
  }
}

// The bucket as the header defines it, in 128-bit token·ms with no
// shortcuts: what it gained since the last mutating call, capped.
struct Model {
  __int128 token_ms;
  TimeMs last_ms;
  __int128 cap_token_ms;

  __int128 At(TimeMs now_ms, int64_t count) const {
    if (now_ms <= last_ms) {
      return token_ms;
    }
    const __int128 elapsed_ms = static_cast<__int128>(now_ms) - last_ms;
    return std::min(cap_token_ms, token_ms + elapsed_ms * count);
  }
  void Refill(TimeMs now_ms, int64_t count) {
    token_ms = At(now_ms, count);
    last_ms = now_ms;
  }
};

TimeMs Step(TimeMs now_ms, uint8_t how, uint16_t ms, __int128* forward_ms) {
  const int64_t amount = ms;
  int64_t delta = 0;
  switch (how % 8) {
    case 5:
      delta = amount << 20;
      break;
    case 6:
      delta = amount << 40;
      break;
    case 7:
      delta = -(amount << (how / 8));
      break;
    default:
      delta = amount;
      break;
  }
  const TimeMs next_ms = delta >= 0 ? (now_ms > kTimeMax - delta ? kTimeMax : now_ms + delta)
                                    : (now_ms < kTimeMin - delta ? kTimeMin : now_ms + delta);
  if (next_ms > now_ms) {
    *forward_ms += static_cast<__int128>(next_ms) - now_ms;
  }
  return next_ms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace core = jobq::broker::core;
  jobq::fuzz::ByteReader in(data, size);
  const std::string_view text = in.Sized();

  CheckWhole(core::ParseBurst(text), text, core::kBurstMax);
  CheckWhole(core::ParseConcurrency(text), text, core::kConcurrencyMax);
  const absl::StatusOr<RateSpec> parsed = core::ParseRate(text);
  RateSpec rate;
  if (parsed.ok()) {
    rate = *parsed;
    JOBQ_CHECK(core::CheckRate(rate).ok()) << rate.count << "/" << rate.period_ms;
    JOBQ_CHECK(std::gcd(rate.count, rate.period_ms) == 1) << rate.count << "/" << rate.period_ms;
    const std::string shown = core::FormatRate(rate);
    const absl::StatusOr<RateSpec> again = core::ParseRate(shown);
    JOBQ_CHECK(again.ok() && *again == rate) << text << " shown as " << shown;
  } else {
    CheckRefusal(parsed, text);
    // At most 1000 tokens a ms, the maximum.
    const int64_t count_bytes = in.U16();
    const int64_t period_ms = int64_t{in.U16()} + 1;
    rate = RateSpec{count_bytes % (1000 * period_ms) + 1, period_ms};
    JOBQ_CHECK(core::CheckRate(rate).ok()) << rate.count << "/" << rate.period_ms;
  }
  JOBQ_CHECK(core::CheckBurst(core::DefaultBurst(rate)).ok());

  const uint8_t burst_byte = in.U8();
  int64_t burst = burst_byte == 0     ? core::DefaultBurst(rate)
                  : burst_byte == 255 ? core::kBurstMax
                                      : int64_t{burst_byte};
  const int64_t first_burst = burst;
  const uint8_t start = in.U8();
  TimeMs now_ms = start == 0   ? kStartMs
                  : start == 1 ? kTimeMin
                  : start == 2 ? kTimeMax
                               : kStartMs + int64_t{start} * 3'600'000;

  TokenBucket bucket(rate, burst, now_ms);
  Model model{static_cast<__int128>(burst) * rate.period_ms, now_ms,
              static_cast<__int128>(burst) * rate.period_ms};
  __int128 forward_ms = 0;
  __int128 taken = 0;
  while (!in.empty()) {
    const uint8_t op = in.U8();
    const uint8_t how = in.U8();
    now_ms = Step(now_ms, how, in.U16(), &forward_ms);
    const int64_t n = op / 5 + 1;
    switch (op % 5) {
      case 0: {
        const bool took = bucket.TryTake(now_ms, n);
        model.Refill(now_ms, rate.count);
        JOBQ_CHECK(took == (model.token_ms >= static_cast<__int128>(n) * rate.period_ms));
        if (took) {
          taken += n;
          model.token_ms -= static_cast<__int128>(n) * rate.period_ms;
        }
        break;
      }
      case 1:
        bucket.Refill(now_ms);
        model.Refill(now_ms, rate.count);
        break;
      case 2: {
        // Without a refill: time gone back shows what the bucket holds.
        JOBQ_CHECK(bucket.Available(now_ms) == model.At(now_ms, rate.count) / rate.period_ms);
        bucket.Refill(now_ms);
        model.Refill(now_ms, rate.count);
        const int64_t want = std::min(n, burst);
        const TimeMs next_ms = bucket.NextTokenAt(now_ms, want);
        JOBQ_CHECK(next_ms >= now_ms);
        if (next_ms < kTimeMax) {
          JOBQ_CHECK(bucket.Available(next_ms) >= want) << next_ms;
        }
        if (next_ms > now_ms) {
          JOBQ_CHECK(bucket.Available(next_ms - 1) < want) << next_ms;
        }
        break;
      }
      case 3: {
        const TokenBucket restored = TokenBucket::FromState(rate, burst, bucket.state());
        JOBQ_CHECK(restored.state() == bucket.state());
        bucket = restored;
        break;
      }
      default: {
        burst = n;
        bucket.Reconfigure(rate, burst, now_ms);
        model.Refill(now_ms, rate.count);
        model.cap_token_ms = static_cast<__int128>(burst) * rate.period_ms;
        model.token_ms =
            std::min<__int128>(model.token_ms / rate.period_ms, burst) * rate.period_ms;
        break;
      }
    }
    const jobq::broker::core::TokenBucketState& state = bucket.state();
    JOBQ_CHECK(state.tokens >= 0 && state.tokens <= burst) << state.tokens;
    JOBQ_CHECK(state.remainder_token_ms >= 0 && state.remainder_token_ms < rate.period_ms);
    JOBQ_CHECK(state.last_refill_ms == model.last_ms);
    JOBQ_CHECK(static_cast<__int128>(state.tokens) * rate.period_ms + state.remainder_token_ms ==
               model.token_ms);
    JOBQ_CHECK(taken <= first_burst + rate.count * forward_ms / rate.period_ms)
        << static_cast<int64_t>(taken);
  }
  return 0;
}
