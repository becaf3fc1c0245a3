#pragma once
// TokenBucket: a queue's global rate limit on the broker's clock. It holds
// up to `burst` tokens and gains rate.count of them every rate.period_ms
// milliseconds; dispatching a job takes one. Over any span of time on a
// clock that only moves forward, it hands out at most
//
//   burst + floor(rate.count * elapsed_ms / rate.period_ms)
//
// tokens, and exactly that many to a caller that takes whenever it can. The
// simulation checks that bound.
//
// Integer arithmetic only, exact over any number of calls: between whole
// tokens the bucket keeps what it has gained towards the next one in
// token·ms (after e ms it has gained e * rate.count token·ms, and every
// rate.period_ms of them make a token). Refilling at every millisecond or
// once after an hour gives the same state.
//
// Time going backwards (a clock step, a broker restored from a machine whose
// clock was ahead) mints nothing: the bucket takes the earlier time as its
// last refill and keeps its tokens. It does not wait for the clock to catch
// up with its last refill, so a clock that was a day ahead cannot stop a
// queue for a day; the cost is that a clock going back and forth mints for
// each forward stretch, as golang.org/x/time/rate's limiter does. Any two
// int64 times are fine: a gap of any length fills the bucket and no more.
//
// Pure: every call is given now_ms. Not thread-safe; the loop thread owns
// the core's buckets. The const calls change nothing, so a status snapshot
// can show a bucket without refilling it.

#include <cstdint>

#include "broker/core/rate_limit.h"
#include "common/clock.h"

namespace jobq::broker::core {

// All a bucket needs to carry on after a restart, with its rate and burst
// (which the limit itself keeps). Plain fields for the store's record.
struct TokenBucketState {
  int64_t tokens = 0;              // whole tokens, 0 to burst
  int64_t remainder_token_ms = 0;  // towards the next token, 0 to rate.period_ms - 1
  TimeMs last_refill_ms = 0;

  friend bool operator==(const TokenBucketState&, const TokenBucketState&) = default;
};

class TokenBucket {
 public:
  // A full bucket, as of now_ms: a new limit lets `burst` jobs go at once.
  // `rate` passes CheckRate and `burst` CheckBurst (both CHECKed: the
  // caller parsed or checked them).
  TokenBucket(const RateSpec& rate, int64_t burst, TimeMs now_ms);

  // The bucket that state() returned, under the same rate and burst. A
  // state out of range (a damaged record, or one saved under another
  // burst) is brought into it: tokens into [0, burst], a remainder out of
  // [0, rate.period_ms) dropped. Neither can mint more than a burst.
  static TokenBucket FromState(const RateSpec& rate, int64_t burst, const TokenBucketState& state);

  // Adds what the time since the last refill is worth, up to the burst.
  void Refill(TimeMs now_ms);

  // Refills, then takes `n` tokens (n >= 0) if there are as many. False,
  // taking none, if not: n > burst is never possible.
  bool TryTake(TimeMs now_ms, int64_t n = 1);

  // The tokens a refill at now_ms would leave.
  int64_t Available(TimeMs now_ms) const;

  // The first time, no earlier than now_ms, at which `n` tokens are
  // available (1 <= n <= burst, CHECKed) if none is taken meanwhile: now_ms
  // if they are already. For a queue held back by its limit, this is what
  // `limited` shows and the deadline Tick returns. Exact to the millisecond:
  // Available(NextTokenAt(t)) >= n and, if later than t,
  // Available(NextTokenAt(t) - 1) < n, when t is no earlier than the last
  // refill (or the bucket is refilled at t: from an earlier t it counts
  // from t, as a refill at t would). Capped at the largest TimeMs.
  TimeMs NextTokenAt(TimeMs now_ms, int64_t n = 1) const;

  // A changed limit (`jobq limit` on a limited queue), from now_ms: the
  // bucket refills under the old rate, then keeps its whole tokens (at most
  // the new burst) and drops the part of a token it had gained, so that
  // setting a limit again never mints. Same checks as the constructor.
  void Reconfigure(const RateSpec& rate, int64_t burst, TimeMs now_ms);

  const TokenBucketState& state() const { return state_; }
  const RateSpec& rate() const { return rate_; }
  int64_t burst() const { return burst_; }

 private:
  TokenBucket(const RateSpec& rate, int64_t burst, const TokenBucketState& state);

  // `state` refilled to now_ms under this bucket's rate and burst.
  TokenBucketState Refilled(TimeMs now_ms) const;

  RateSpec rate_;
  int64_t burst_;
  TokenBucketState state_;
};

}  // namespace jobq::broker::core
