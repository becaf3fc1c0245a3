// `jobq limit` and `jobq limits` without a broker: every bad argument is
// refused before any connection with a message naming it (exit 2 through
// RunCli), and what the limit tables and the queue state column print.

#include "producer/cli/limit_command.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "producer/cli/cli.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/limits_table.h"

namespace jobq::cli {
namespace {

LimitFlags Flags(const std::string& rate, const std::string& burst, const std::string& concurrency,
                 bool clear = false) {
  LimitFlags flags;
  flags.queue = "emails";
  flags.rate = rate;
  flags.burst = burst;
  flags.concurrency = concurrency;
  flags.clear = clear;
  return flags;
}

TEST(LimitRequestTest, AGoodLimitBecomesItsRequest) {
  absl::StatusOr<admin::SetLimitRequest> request = LimitRequestFrom(Flags("6000/min", "20", "5"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->queue(), "emails");
  EXPECT_EQ(request->rate(), "6000/min");
  EXPECT_EQ(request->burst(), 20u);
  EXPECT_EQ(request->concurrency(), 5u);
  EXPECT_TRUE(LimitRequestFrom(Flags("", "", "", /*clear=*/true)).ok());
}

TEST(LimitRequestTest, BadArgumentsAreRefusedNamingWhatIsWrong) {
  const std::vector<std::pair<LimitFlags, std::string>> bad = {
      {Flags("0/s", "", ""), "use jobq pause"}, {Flags("-1/s", "", ""), "--rate"},
      {Flags("100/day", "", ""), "--rate"},     {Flags("100", "", ""), "--rate"},
      {Flags("10/s", "-3", ""), "negative"},    {Flags("10/s", "0", ""), "--burst"},
      {Flags("10/s", "x", ""), "--burst"},      {Flags("", "5", ""), "give --rate with it"},
      {Flags("", "", "0"), "--concurrency"},    {Flags("", "", "-2"), "--concurrency"},
      {Flags("", "", ""), "give --rate"},       {Flags("10/s", "", "", /*clear=*/true), "--clear"},
  };
  for (const auto& [flags, says] : bad) {
    absl::StatusOr<admin::SetLimitRequest> request = LimitRequestFrom(flags);
    ASSERT_FALSE(request.ok()) << flags.rate << " " << flags.burst << " " << flags.concurrency;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(request.status().message().find(says), std::string::npos) << request.status();
  }
  LimitFlags empty_queue = Flags("10/s", "", "");
  empty_queue.queue = "";
  EXPECT_FALSE(LimitRequestFrom(empty_queue).ok());
}

TEST(LimitRequestTest, TheCliExitsTwoBeforeConnecting) {
  // --admin names a port nobody listens on: a usage error must come first.
  std::vector<std::string> args = {"jobq", "--admin", "127.0.0.1:1", "limit", "q", "--rate", "0/s"};
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  EXPECT_EQ(RunCli(static_cast<int>(argv.size()), argv.data()), kExitUsage);
}

TEST(LimitsTableTest, ShowsEachLimitAndWhetherItHolds) {
  admin::ListLimitsResponse limits;
  admin::Limit* rate = limits.add_limits();
  rate->set_queue("emails");
  rate->set_rate("100/s");
  rate->set_burst(100);
  rate->set_tokens(0);
  rate->set_running(3);
  rate->set_limited(true);
  rate->set_next_token_ms(1'700'000'000'250);
  admin::Limit* cap = limits.add_limits();
  cap->set_queue("emails");
  cap->set_task("pdf");
  cap->set_concurrency(1);
  cap->set_running(1);
  cap->set_limited(true);
  EXPECT_EQ(FormatLimitsTable(limits),
            "QUEUE   TASK  RATE   BURST  CONCURRENCY  RUNNING  TOKENS  STATE\n"
            "emails  *     100/s  100    -            3        0       limited until "
            "22:13:20.250 UTC\n"
            "emails  pdf   -      -      1            1        -       limited (concurrency)\n");
  EXPECT_EQ(FormatLimitsTable(admin::ListLimitsResponse()), "no limits\n");
  const nlohmann::json json = nlohmann::json::parse(FormatLimitJson(*rate));
  EXPECT_EQ(json["rate"], "100/s");
  EXPECT_EQ(json["next_token_ms"], 1'700'000'000'250);
  EXPECT_FALSE(nlohmann::json::parse(FormatLimitJson(*cap)).contains("rate"));
  EXPECT_EQ(FormatLimitLine(*rate), "queue emails: 100/s (burst 100)");
  EXPECT_EQ(FormatLimitLine(*cap), "queue emails, task pdf: at most 1 running");
}

TEST(QueueStateTest, PausedBeforeLimitedBeforeActive) {
  admin::QueueStatus queue;
  EXPECT_EQ(QueueState(queue), "active");
  queue.set_limited(true);
  EXPECT_EQ(QueueState(queue), "limited (concurrency)");
  queue.set_next_token_ms(1'700'000'000'250);
  EXPECT_EQ(QueueState(queue), "limited until 22:13:20.250 UTC");
  queue.set_paused(true);
  EXPECT_EQ(QueueState(queue), "paused");
}

}  // namespace
}  // namespace jobq::cli
