// The arithmetic of rate limits and concurrency caps (issue 17, items 3 and
// 5) on fake time, plain TimeMs values: rates as typed and their errors,
// the token bucket's exactness, its bound "taken <= burst + floor(rate *
// elapsed)" over seeded random sequences (the bound the simulation checks),
// backward time and saturation at the int64 bounds. (The running-job cap
// is a count in the core: queue_limits_core_test.)
//
// Bounds are computed here in 128-bit integers, apart from the bucket's own
// arithmetic, which avoids the products instead.

#include "broker/core/rate_limit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "broker/core/token_bucket.h"

namespace jobq::broker::core {
namespace {

constexpr TimeMs kRateStartMs = 1'700'000'000'000;
constexpr TimeMs kTimeMin = std::numeric_limits<TimeMs>::min();
constexpr TimeMs kTimeMax = std::numeric_limits<TimeMs>::max();

RateSpec Rate(const std::string& text) {
  const absl::StatusOr<RateSpec> rate = ParseRate(text);
  EXPECT_TRUE(rate.ok()) << text << ": " << rate.status();
  return rate.value_or(RateSpec{1, 1});
}

std::string RateMessage(const std::string& text) {
  const absl::StatusOr<RateSpec> rate = ParseRate(text);
  EXPECT_FALSE(rate.ok()) << text << " parsed as " << rate->count << "/" << rate->period_ms;
  EXPECT_EQ(rate.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(rate.status().message());
}

// burst + floor(count * elapsed_ms / period_ms): the most a bucket may have
// handed out after elapsed_ms on a forward-moving clock.
__int128 TokensBound(const RateSpec& rate, int64_t burst, __int128 elapsed_ms) {
  return burst + rate.count * elapsed_ms / rate.period_ms;
}

// Takes as many tokens as there are at now_ms, one at a time as dispatch
// would; returns how many.
int64_t TakeAll(TokenBucket& bucket, TimeMs now_ms) {
  int64_t taken = 0;
  while (bucket.TryTake(now_ms)) {
    ++taken;
  }
  return taken;
}

// ---------------------------------------------------------------- parsing

TEST(RateLimitParseTest, ReadsEachUnitAsAnExactFractionInLowestTerms) {
  const struct {
    const char* text;
    RateSpec rate;
  } cases[] = {
      {"100/s", {1, 10}},
      {"6000/min", {1, 10}},
      {"6000/m", {1, 10}},
      {"10/h", {1, 360'000}},
      {"0.5/s", {1, 2000}},
      {"1/min", {1, 60'000}},
      {"7/s", {7, 1000}},
      {"2.75/s", {11, 4000}},
      {"1.500/s", {3, 2000}},
      {"007/s", {7, 1000}},
      {"1000000/s", {1000, 1}},
      {"0.001/h", {1, 3'600'000'000}},
      {"59999.999/min", {59'999'999, 60'000'000}},
  };
  for (const auto& c : cases) {
    const RateSpec rate = Rate(c.text);
    EXPECT_EQ(rate.count, c.rate.count) << c.text;
    EXPECT_EQ(rate.period_ms, c.rate.period_ms) << c.text;
  }
}

TEST(RateLimitParseTest, EqualRatesCompareEqualHoweverWritten) {
  EXPECT_EQ(Rate("100/s"), Rate("6000/min"));
  EXPECT_EQ(Rate("100/s"), Rate("360000/h"));
  EXPECT_EQ(Rate("0.5/s"), Rate("30/m"));
  EXPECT_EQ(Rate("1/min"), Rate("60/h"));
  EXPECT_NE(Rate("1/min"), Rate("1/s"));
}

TEST(RateLimitParseTest, RefusesEachBadRateNamingItAndTheFormExpected) {
  const std::string form =
      "use a count per second, minute or hour, such as 100/s, 6000/min, 10/h or 0.5/s";
  const struct {
    const char* text;
    std::string message;
  } cases[] = {
      {"", "\"\" is not a rate: " + form},
      {"abc", "\"abc\" is not a rate: " + form},
      {"100", "\"100\" is not a rate: " + form},
      {"/s", "\"/s\" is not a rate: " + form},
      {"1./s", "\"1./s\" is not a rate: " + form},
      {".5/s", "\".5/s\" is not a rate: " + form},
      {"+5/s", "\"+5/s\" is not a rate: " + form},
      {"1e3/s", "\"1e3/s\" is not a rate: " + form},
      {" 100/s", "\" 100/s\" is not a rate: " + form},
      {"1,000/s", "\"1,000/s\" is not a rate: " + form},
      {"100/", "rate \"100/\" has no unit jobq knows (s, m or min, h): " + form},
      {"100/d", "rate \"100/d\" has no unit jobq knows (s, m or min, h): " + form},
      {"100/ms", "rate \"100/ms\" has no unit jobq knows (s, m or min, h): " + form},
      {"100/S", "rate \"100/S\" has no unit jobq knows (s, m or min, h): " + form},
      {"100/s/s", "rate \"100/s/s\" has no unit jobq knows (s, m or min, h): " + form},
      {"100/s ", "rate \"100/s \" has no unit jobq knows (s, m or min, h): " + form},
      {"0.0001/s",
       "rate \"0.0001/s\" has more than 3 digits after the point: use a longer unit (per "
       "minute or per hour)"},
      {"0/s", "rate \"0/s\" is 0: a rate of 0 would never dispatch; use jobq pause instead"},
      {"0.000/h",
       "rate \"0.000/h\" is 0: a rate of 0 would never dispatch; use jobq pause instead"},
      {"-0/s", "rate \"-0/s\" is 0: a rate of 0 would never dispatch; use jobq pause instead"},
      {"-5/s", "rate \"-5/s\" is negative: " + form},
      {"-0.5/min", "rate \"-0.5/min\" is negative: " + form},
      {"1000000.001/s", "rate \"1000000.001/s\" is above the maximum, 1000000/s"},
      {"60000001/min", "rate \"60000001/min\" is above the maximum, 1000000/s"},
      {"99999999999999999999999999/h",
       "rate \"99999999999999999999999999/h\" is above the maximum, 1000000/s"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RateMessage(c.text), c.message) << c.text;
  }
}

TEST(RateLimitParseTest, FormatsTheShortestExactUnitAndReadsItBack) {
  const struct {
    const char* text;
    const char* shown;
  } cases[] = {
      {"100/s", "100/s"},      {"6000/min", "100/s"}, {"10/h", "10/h"},
      {"0.5/s", "0.5/s"},      {"1/min", "1/min"},    {"90/min", "1.5/s"},
      {"0.001/h", "0.001/h"},  {"2.5/h", "2.5/h"},    {"1000000/s", "1000000/s"},
      {"0.06/min", "0.001/s"}, {"7.250/s", "7.25/s"}, {"0.120/m", "0.002/s"},
  };
  for (const auto& c : cases) {
    const RateSpec rate = Rate(c.text);
    EXPECT_EQ(FormatRate(rate), c.shown) << c.text;
    EXPECT_EQ(Rate(FormatRate(rate)), rate) << c.text;
  }
}

TEST(RateLimitParseTest, EveryRateOfASeededSweepSurvivesFormatAndParse) {
  std::mt19937_64 random(17);
  const char* units[] = {"s", "m", "min", "h"};
  for (int i = 0; i < 20'000; ++i) {
    const int decimals = static_cast<int>(random() % 4);
    std::string text = std::to_string(random() % 1'000'000);
    if (decimals > 0) {
      std::string fraction = std::to_string(random() % 1000 + 1000).substr(1, decimals);
      text += "." + fraction;
    }
    text += "/";
    text += units[random() % 4];
    const absl::StatusOr<RateSpec> rate = ParseRate(text);
    if (!rate.ok()) {
      continue;  // 0, or above the maximum
    }
    ASSERT_TRUE(CheckRate(*rate).ok()) << text;
    ASSERT_EQ(ParseRate(FormatRate(*rate)).value_or(RateSpec{}), *rate)
        << text << " shown as " << FormatRate(*rate);
  }
}

TEST(RateLimitParseTest, AStoredRateNoUnitShowsExactlyIsShownInMilliseconds) {
  EXPECT_EQ(FormatRate(RateSpec{1, 7}), "1/7ms");
  EXPECT_FALSE(ParseRate("1/7ms").ok());
}

TEST(RateLimitParseTest, CheckRateRefusesStoredRatesOutOfRange) {
  EXPECT_TRUE(CheckRate(RateSpec{1, 1}).ok());
  EXPECT_TRUE(CheckRate(RateSpec{1000, 1}).ok());
  EXPECT_TRUE(CheckRate(RateSpec{1, kRatePeriodMsMax}).ok());
  EXPECT_TRUE(CheckRate(RateSpec{10, 100}).ok());  // lowest terms are not required
  for (const RateSpec& bad : {RateSpec{0, 1000}, RateSpec{-1, 1000}, RateSpec{1, 0},
                              RateSpec{1, -5}, RateSpec{1001, 1}, RateSpec{1, kRatePeriodMsMax + 1},
                              RateSpec{std::numeric_limits<int64_t>::max(), kRatePeriodMsMax}}) {
    const absl::Status status = CheckRate(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << bad.count << "/" << bad.period_ms;
    EXPECT_NE(status.message().find(std::to_string(bad.count) + " every " +
                                    std::to_string(bad.period_ms) + " ms"),
              std::string::npos)
        << status;
  }
}

TEST(RateLimitParseTest, DefaultBurstIsOneSecondsWorthRoundedDownAndAtLeastOne) {
  EXPECT_EQ(DefaultBurst(Rate("100/s")), 100);
  EXPECT_EQ(DefaultBurst(Rate("6000/min")), 100);
  EXPECT_EQ(DefaultBurst(Rate("7/s")), 7);
  EXPECT_EQ(DefaultBurst(Rate("2.5/s")), 2);
  EXPECT_EQ(DefaultBurst(Rate("0.5/s")), 1);
  EXPECT_EQ(DefaultBurst(Rate("1/min")), 1);
  EXPECT_EQ(DefaultBurst(Rate("10/h")), 1);
  EXPECT_EQ(DefaultBurst(Rate("1000000/s")), 1'000'000);
  EXPECT_TRUE(CheckBurst(DefaultBurst(Rate("0.001/h"))).ok());
}

TEST(RateLimitParseTest, BurstIsAWholeNumberFromOneToTheMaximum) {
  EXPECT_EQ(ParseBurst("1").value_or(0), 1);
  EXPECT_EQ(ParseBurst("250").value_or(0), 250);
  EXPECT_EQ(ParseBurst("1000000000").value_or(0), kBurstMax);
  const std::string range = "a burst is a whole number from 1 to 1000000000";
  const struct {
    const char* text;
    std::string message;
  } cases[] = {
      {"", "burst \"\" is not a whole number: " + range},
      {"ten", "burst \"ten\" is not a whole number: " + range},
      {"1.5", "burst \"1.5\" is not a whole number: " + range},
      {"+3", "burst \"+3\" is not a whole number: " + range},
      {"-", "burst \"-\" is not a whole number: " + range},
      {" 3", "burst \" 3\" is not a whole number: " + range},
      {"-3", "burst -3 is negative: " + range},
      {"0", "burst 0 is 0: no job could ever be dispatched; " + range},
      {"-0", "burst -0 is 0: no job could ever be dispatched; " + range},
      {"1000000001", "burst 1000000001 is above the maximum: " + range},
      {"123456789012345678901234567890",
       "burst 123456789012345678901234567890 is above the maximum: " + range},
  };
  for (const auto& c : cases) {
    const absl::StatusOr<int64_t> burst = ParseBurst(c.text);
    EXPECT_EQ(burst.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(burst.status().message(), c.message) << c.text;
  }
  EXPECT_EQ(CheckBurst(-1).message(), "burst -1 is negative: " + range);
  EXPECT_EQ(CheckBurst(std::numeric_limits<int64_t>::min()).message(),
            "burst -9223372036854775808 is negative: " + range);
  EXPECT_EQ(CheckBurst(0).message(), "burst 0 is 0: no job could ever be dispatched; " + range);
  EXPECT_TRUE(CheckBurst(1).ok());
}

TEST(RateLimitParseTest, ConcurrencyIsAWholeNumberFromOneToTheMaximum) {
  EXPECT_EQ(ParseConcurrency("1").value_or(0), 1);
  EXPECT_EQ(ParseConcurrency("1000000").value_or(0), kConcurrencyMax);
  const std::string range = "a concurrency is a whole number from 1 to 1000000";
  const struct {
    const char* text;
    std::string message;
  } cases[] = {
      {"four", "concurrency \"four\" is not a whole number: " + range},
      {"-2", "concurrency -2 is negative: " + range},
      {"0", "concurrency 0 is 0: no job could ever run; use jobq pause instead; " + range},
      {"1000001", "concurrency 1000001 is above the maximum: " + range},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseConcurrency(c.text).status().message(), c.message) << c.text;
  }
  EXPECT_EQ(CheckConcurrency(kConcurrencyMax + 1).message(),
            "concurrency 1000001 is above the maximum: " + range);
}

// ----------------------------------------------------------- token bucket

TEST(RateLimitBucketTest, StartsFullAndLetsABurstGoAtOnce) {
  TokenBucket bucket(Rate("7/s"), 7, kRateStartMs);
  EXPECT_EQ(bucket.Available(kRateStartMs), 7);
  EXPECT_EQ(TakeAll(bucket, kRateStartMs), 7);
  EXPECT_EQ(bucket.Available(kRateStartMs), 0);
  EXPECT_FALSE(bucket.TryTake(kRateStartMs));
}

TEST(RateLimitBucketTest, TakesSeveralOnlyWhenAllAreThere) {
  TokenBucket bucket(Rate("10/s"), 5, kRateStartMs);
  EXPECT_FALSE(bucket.TryTake(kRateStartMs, 6));  // more than a burst: never
  EXPECT_EQ(bucket.Available(kRateStartMs), 5);
  EXPECT_TRUE(bucket.TryTake(kRateStartMs, 3));
  EXPECT_FALSE(bucket.TryTake(kRateStartMs, 3));
  EXPECT_EQ(bucket.Available(kRateStartMs), 2);
  EXPECT_TRUE(bucket.TryTake(kRateStartMs, 0));
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs, 3), kRateStartMs + 100);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs, 5), kRateStartMs + 300);
  EXPECT_FALSE(bucket.TryTake(kRateStartMs + 299, 5));
  EXPECT_TRUE(bucket.TryTake(kRateStartMs + 300, 5));
}

TEST(RateLimitBucketTest, OneAMinuteHasItsNextTokenSixtyThousandMsLater) {
  TokenBucket bucket(Rate("1/min"), DefaultBurst(Rate("1/min")), kRateStartMs);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs), kRateStartMs);
  ASSERT_TRUE(bucket.TryTake(kRateStartMs));
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs), kRateStartMs + 60'000);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs + 59'999), kRateStartMs + 60'000);
  EXPECT_EQ(bucket.Available(kRateStartMs + 59'999), 0);
  EXPECT_EQ(bucket.Available(kRateStartMs + 60'000), 1);
  bucket.Refill(kRateStartMs + 30'000);  // a refill half way changes nothing
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs + 30'000), kRateStartMs + 60'000);
}

TEST(RateLimitBucketTest, NextTokenAtIsTheFirstMillisecondWithATokenForEveryKindOfRate) {
  for (const char* text :
       {"7/s", "0.5/s", "1/min", "10/h", "0.001/h", "3/s", "1000000/s", "999.999/s", "2.5/min"}) {
    const RateSpec rate = Rate(text);
    TokenBucket bucket(rate, DefaultBurst(rate), kRateStartMs);
    TimeMs now_ms = kRateStartMs;
    TakeAll(bucket, now_ms);
    for (int i = 0; i < 50; ++i) {
      const TimeMs next_ms = bucket.NextTokenAt(now_ms);
      ASSERT_GT(next_ms, now_ms) << text;
      EXPECT_EQ(bucket.Available(next_ms - 1), 0) << text << " at token " << i;
      EXPECT_GE(bucket.Available(next_ms), 1) << text << " at token " << i;
      now_ms = next_ms;
      TakeAll(bucket, now_ms);
    }
  }
}

TEST(RateLimitBucketTest, SevenASecondNeverExceedsRateTimesElapsedPlusBurstOverRandomCalls) {
  const RateSpec rate = Rate("7/s");
  const int64_t burst = DefaultBurst(rate);
  std::mt19937_64 random(20261117);
  TokenBucket bucket(rate, burst, kRateStartMs);
  TimeMs now_ms = kRateStartMs;
  __int128 taken = 0;
  for (int call = 0; call < 10'000; ++call) {
    now_ms += static_cast<TimeMs>(random() % 400);
    const int64_t n = static_cast<int64_t>(random() % 5);  // 10 a second asked for
    if (bucket.TryTake(now_ms, n)) {
      taken += n;
    }
    ASSERT_LE(taken, TokensBound(rate, burst, now_ms - kRateStartMs)) << "call " << call;
  }
  // Some 2,000 s went by; the calls asked for more than 7 a second, so they
  // got most of it.
  EXPECT_GT(taken, TokensBound(rate, burst, now_ms - kRateStartMs) * 9 / 10);
}

TEST(RateLimitBucketTest, SevenASecondReachesTheBoundExactlyWhenAskedEveryMillisecond) {
  const RateSpec rate = Rate("7/s");
  const int64_t burst = DefaultBurst(rate);
  TokenBucket bucket(rate, burst, kRateStartMs);
  __int128 taken = 0;
  for (TimeMs elapsed_ms = 0; elapsed_ms <= 60'000; ++elapsed_ms) {
    taken += TakeAll(bucket, kRateStartMs + elapsed_ms);
    ASSERT_EQ(taken, TokensBound(rate, burst, elapsed_ms)) << elapsed_ms << " ms";
  }
  EXPECT_EQ(taken, 7 + 7 * 60);
}

TEST(RateLimitBucketTest, RefillingEveryMillisecondOrOnceGivesTheSameState) {
  for (const char* text : {"7/s", "0.5/s", "999.999/s", "10/h"}) {
    const RateSpec rate = Rate(text);
    TokenBucket often(rate, 1000, kRateStartMs);
    TokenBucket once(rate, 1000, kRateStartMs);
    ASSERT_TRUE(often.TryTake(kRateStartMs, 1000));
    ASSERT_TRUE(once.TryTake(kRateStartMs, 1000));
    for (TimeMs ms = 1; ms <= 100'000; ++ms) {
      often.Refill(kRateStartMs + ms);
    }
    once.Refill(kRateStartMs + 100'000);
    EXPECT_EQ(often.state(), once.state()) << text;
    EXPECT_EQ(often.state().tokens, std::min<int64_t>(1000, 100'000 * rate.count / rate.period_ms))
        << text;
  }
}

TEST(RateLimitBucketTest, HalfATokenASecondGivesOneEveryTwoSeconds) {
  const RateSpec rate = Rate("0.5/s");
  TokenBucket bucket(rate, 1, kRateStartMs);
  __int128 taken = 0;
  for (TimeMs ms = 0; ms <= 3'600'000; ms += 100) {
    taken += TakeAll(bucket, kRateStartMs + ms);
  }
  EXPECT_EQ(taken, 1 + 1800);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs + 3'600'000), kRateStartMs + 3'602'000);
}

TEST(RateLimitBucketTest, AMillionASecondGivesAThousandEveryMillisecond) {
  const RateSpec rate = Rate("1000000/s");
  TokenBucket bucket(rate, DefaultBurst(rate), kRateStartMs);
  ASSERT_TRUE(bucket.TryTake(kRateStartMs, 1'000'000));
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs), kRateStartMs + 1);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs, 1000), kRateStartMs + 1);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs, 1001), kRateStartMs + 2);
  EXPECT_EQ(bucket.Available(kRateStartMs + 1), 1000);
  EXPECT_EQ(bucket.Available(kRateStartMs + 999), 999'000);
  EXPECT_EQ(bucket.Available(kRateStartMs + 1000), 1'000'000);
  EXPECT_EQ(bucket.Available(kRateStartMs + 100'000), 1'000'000);
  __int128 taken = 1'000'000;
  for (TimeMs ms = 1; ms <= 10'000; ++ms) {
    const int64_t n = bucket.Available(kRateStartMs + ms);
    ASSERT_TRUE(bucket.TryTake(kRateStartMs + ms, n));
    taken += n;
  }
  EXPECT_EQ(taken, TokensBound(rate, 1'000'000, 10'000));
}

TEST(RateLimitBucketTest, BackwardTimeMintsNothingAndCountsOnFromTheEarlierTime) {
  const RateSpec rate = Rate("7/s");
  TokenBucket bucket(rate, 7, kRateStartMs);
  TakeAll(bucket, kRateStartMs);
  bucket.Refill(kRateStartMs + 500);  // 3.5 tokens
  EXPECT_EQ(bucket.state(), (TokenBucketState{3, 500, kRateStartMs + 500}));

  const TimeMs earlier_ms = kRateStartMs - 86'400'000;  // the clock stepped back a day
  EXPECT_EQ(bucket.Available(earlier_ms), 3);
  EXPECT_FALSE(bucket.TryTake(earlier_ms, 4));
  EXPECT_EQ(bucket.state(), (TokenBucketState{3, 500, earlier_ms}));
  // The queue is not held up for the day the clock went back: the half
  // token it had gained becomes a whole one 72 ms after the step.
  EXPECT_EQ(bucket.NextTokenAt(earlier_ms, 4), earlier_ms + 72);
  EXPECT_EQ(bucket.Available(earlier_ms + 72), 4);

  // To the smallest time there is and back: nothing minted, nothing broken.
  EXPECT_TRUE(bucket.TryTake(kTimeMin, 3));
  EXPECT_EQ(bucket.Available(kTimeMin), 0);
  EXPECT_EQ(bucket.NextTokenAt(kTimeMin), kTimeMin + 72);
}

TEST(RateLimitBucketTest, ARestoredBucketWhoseLastRefillIsInTheFutureDoesNotStopTheQueue) {
  const RateSpec rate = Rate("7/s");
  TokenBucket bucket =
      TokenBucket::FromState(rate, 7, TokenBucketState{0, 0, kRateStartMs + 365LL * 86'400'000});
  EXPECT_EQ(bucket.Available(kRateStartMs), 0);
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs), kRateStartMs + 143);  // ceil(1000 / 7)
  // The broker's first refill after the restart counts on from its clock,
  // not from a year ahead.
  bucket.Refill(kRateStartMs);
  EXPECT_EQ(bucket.Available(kRateStartMs + 142), 0);
  EXPECT_EQ(bucket.Available(kRateStartMs + 143), 1);
  EXPECT_TRUE(bucket.TryTake(kRateStartMs + 143));
}

TEST(RateLimitBucketTest, AGapOfAnyLengthFillsTheBucketAndNoMore) {
  for (const char* text : {"1000000/s", "7/s", "0.001/h"}) {
    const RateSpec rate = Rate(text);
    for (const int64_t burst : {int64_t{1}, int64_t{7}, kBurstMax}) {
      TokenBucket bucket = TokenBucket::FromState(rate, burst, TokenBucketState{0, 0, kTimeMin});
      EXPECT_EQ(bucket.Available(kTimeMax), burst) << text;
      // One ms is worth a thousand tokens at a million a second, none at the others.
      EXPECT_EQ(bucket.Available(kTimeMin + 1), std::min(burst, rate.count / rate.period_ms))
          << text;
      bucket.Refill(kTimeMax);
      EXPECT_EQ(bucket.state(), (TokenBucketState{burst, 0, kTimeMax})) << text;
      ASSERT_TRUE(bucket.TryTake(kTimeMax, burst));
      // The next tokens are due after the largest time there is.
      EXPECT_EQ(bucket.NextTokenAt(kTimeMax), kTimeMax) << text;
      EXPECT_EQ(bucket.NextTokenAt(kTimeMax, burst), kTimeMax) << text;
    }
  }
  // A full burst of the slowest rate: the largest wait there is, 3.6e18 ms.
  const RateSpec slowest = Rate("0.001/h");
  TokenBucket bucket(slowest, kBurstMax, 0);
  ASSERT_TRUE(bucket.TryTake(0, kBurstMax));
  EXPECT_EQ(bucket.NextTokenAt(0, kBurstMax), kBurstMax * kRatePeriodMsMax);
  EXPECT_EQ(bucket.Available(kBurstMax * kRatePeriodMsMax - 1), kBurstMax - 1);
}

TEST(RateLimitBucketTest, StateSurvivesARestartAndADamagedOneIsBroughtIntoRange) {
  const RateSpec rate = Rate("7/s");
  TokenBucket bucket(rate, 10, kRateStartMs);
  ASSERT_TRUE(bucket.TryTake(kRateStartMs, 10));
  bucket.Refill(kRateStartMs + 1234);
  const TokenBucketState saved = bucket.state();
  EXPECT_EQ(saved, (TokenBucketState{8, 638, kRateStartMs + 1234}));

  TokenBucket restored = TokenBucket::FromState(rate, 10, saved);
  for (TimeMs ms : {1300, 1500, 2000, 9000}) {
    EXPECT_EQ(restored.Available(kRateStartMs + ms), bucket.Available(kRateStartMs + ms));
  }
  EXPECT_EQ(restored.NextTokenAt(kRateStartMs + 1234, 10),
            bucket.NextTokenAt(kRateStartMs + 1234, 10));

  const struct {
    TokenBucketState stored;
    TokenBucketState loaded;
  } damaged[] = {
      {{-5, 100, kRateStartMs}, {0, 100, kRateStartMs}},
      {{99, 100, kRateStartMs}, {10, 0, kRateStartMs}},
      {{3, 1000, kRateStartMs}, {3, 0, kRateStartMs}},
      {{3, -1, kRateStartMs}, {3, 0, kRateStartMs}},
      {{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), kTimeMax},
       {0, 0, kTimeMax}},
  };
  for (const auto& d : damaged) {
    EXPECT_EQ(TokenBucket::FromState(rate, 10, d.stored).state(), d.loaded);
  }
}

TEST(RateLimitBucketTest, ReconfigureKeepsWholeTokensUpToTheNewBurstAndNeverMints) {
  TokenBucket bucket(Rate("7/s"), 7, kRateStartMs);
  TakeAll(bucket, kRateStartMs);
  bucket.Refill(kRateStartMs + 500);                           // 3 tokens and a half
  bucket.Reconfigure(Rate("100/s"), 100, kRateStartMs + 600);  // 4 and a fifth, then
  EXPECT_EQ(bucket.state(), (TokenBucketState{4, 0, kRateStartMs + 600}));
  EXPECT_EQ(bucket.NextTokenAt(kRateStartMs + 600, 5), kRateStartMs + 610);

  bucket.Reconfigure(Rate("1/min"), 2, kRateStartMs + 600);
  EXPECT_EQ(bucket.state(), (TokenBucketState{2, 0, kRateStartMs + 600}));
  EXPECT_EQ(bucket.rate(), Rate("1/min"));
  EXPECT_EQ(bucket.burst(), 2);
  // Setting the same limit again gives nothing either.
  TakeAll(bucket, kRateStartMs + 600);
  bucket.Reconfigure(Rate("1/min"), 2, kRateStartMs + 600);
  EXPECT_EQ(bucket.Available(kRateStartMs + 600), 0);
}

// The bucket against a model that adds up token·ms in 128 bits with no
// shortcut, over seeded random sequences of refills, takes and waits for
// the next token, on rates drawn from every corner: the bound holds at every
// step and both agree on every state.
TEST(RateLimitBucketTest, SeededRandomSequencesKeepTheBoundAndMatchAnExactModel) {
  const std::vector<std::string> texts = {"7/s",     "0.5/s",   "1/min",     "10/h",
                                          "100/s",   "0.001/h", "1000000/s", "999.999/s",
                                          "2.5/min", "33/min",  "0.007/s"};
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 random(seed);
    const RateSpec rate = Rate(texts[random() % texts.size()]);
    const int64_t burst =
        random() % 3 == 0 ? DefaultBurst(rate) : static_cast<int64_t>(random() % 20 + 1);
    // A token's worth of ms, so the gaps hit around it.
    const int64_t token_ms = std::max<int64_t>(1, rate.period_ms / rate.count);
    TokenBucket bucket(rate, burst, kRateStartMs);
    TimeMs now_ms = kRateStartMs;
    __int128 model_token_ms = static_cast<__int128>(burst) * rate.period_ms;
    __int128 taken = 0;
    for (int step = 0; step < 2000; ++step) {
      const TimeMs gap_ms = static_cast<TimeMs>(random() % (3 * token_ms + 1));
      now_ms += gap_ms;
      model_token_ms =
          std::min<__int128>(model_token_ms + static_cast<__int128>(gap_ms) * rate.count,
                             static_cast<__int128>(burst) * rate.period_ms);
      const int64_t model_tokens = static_cast<int64_t>(model_token_ms / rate.period_ms);
      switch (random() % 3) {
        case 0: {
          const int64_t n = static_cast<int64_t>(random() % (burst + 1));
          const bool took = bucket.TryTake(now_ms, n);
          ASSERT_EQ(took, n <= model_tokens) << "seed " << seed << " step " << step;
          if (took) {
            taken += n;
            model_token_ms -= static_cast<__int128>(n) * rate.period_ms;
          }
          break;
        }
        case 1: {
          ASSERT_EQ(bucket.Available(now_ms), model_tokens) << "seed " << seed;
          break;
        }
        default: {
          const int64_t n = static_cast<int64_t>(random() % burst + 1);
          const __int128 short_token_ms =
              static_cast<__int128>(n) * rate.period_ms - model_token_ms;
          const __int128 wait_ms =
              short_token_ms <= 0 ? 0 : (short_token_ms + rate.count - 1) / rate.count;
          ASSERT_EQ(bucket.NextTokenAt(now_ms, n), now_ms + static_cast<TimeMs>(wait_ms))
              << "seed " << seed << " step " << step;
          break;
        }
      }
      ASSERT_LE(taken, TokensBound(rate, burst, now_ms - kRateStartMs)) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace jobq::broker::core
