// The dashboard's request parameters and bodies (broker/http/request_params.h):
// each bad input is INVALID_ARGUMENT naming the parameter and what it takes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "broker/http/request_params.h"
#include "common/job_id.h"

namespace jobq::broker::http {
namespace {

using ::testing::HasSubstr;

constexpr const char* kId = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(ParseQueryTest, DecodesPercentAndPlus) {
  auto parsed = ParseQuery("queue=a+b%2Fc&task=x%20y&empty=&flag");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->at("queue"), "a b/c");
  EXPECT_EQ(parsed->at("task"), "x y");
  EXPECT_EQ(parsed->at("empty"), "");
  EXPECT_EQ(parsed->at("flag"), "");
}

TEST(ParseQueryTest, RefusesMalformedEscapesRepeatsAndTooMany) {
  EXPECT_THAT(Message(ParseQuery("queue=%zz").status()), HasSubstr("parameter queue"));
  EXPECT_THAT(Message(ParseQuery("queue=%4").status()), HasSubstr("%XX"));
  EXPECT_THAT(Message(ParseQuery("queue=%00").status()), HasSubstr("NUL"));
  EXPECT_THAT(Message(ParseQuery("queue=a&queue=b").status()), HasSubstr("given twice"));
  std::string many;
  for (int i = 0; i < 17; ++i) {
    many += "p" + std::to_string(i) + "=1&";
  }
  EXPECT_THAT(Message(ParseQuery(many).status()), HasSubstr("too many parameters"));
}

TEST(ParseJobsQueryTest, EveryParameter) {
  auto request =
      ParseJobsQuery(std::string("state=DEAD&queue=emails&task=send&limit=500&after=") + kId);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->state_name(), "dead");
  EXPECT_EQ(request->queue(), "emails");
  EXPECT_EQ(request->task(), "send");
  EXPECT_EQ(request->limit(), 500u);
  EXPECT_EQ(request->page_after(), std::string(JobId::Parse(kId)->Bytes()));
}

TEST(ParseJobsQueryTest, DefaultsAndEmptyFilters) {
  auto request = ParseJobsQuery("state=&queue=");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->limit(), kDefaultPageLimit);
  EXPECT_EQ(request->state_name(), "");
  EXPECT_EQ(request->queue(), "");
}

TEST(ParseJobsQueryTest, BadValuesNameTheParameter) {
  EXPECT_THAT(Message(ParseJobsQuery("state=nope").status()),
              HasSubstr("state must be one of blocked, scheduled, queued"));
  for (const char* limit : {"0", "501", "-1", "ten", "99999999999"}) {
    EXPECT_THAT(Message(ParseJobsQuery(std::string("limit=") + limit).status()),
                HasSubstr("limit must be 1..500"))
        << limit;
  }
  EXPECT_THAT(Message(ParseJobsQuery("after=xyz").status()), HasSubstr("bad job id \"xyz\""));
  // 16 raw bytes are an id on the gRPC API, not in a URL.
  EXPECT_THAT(Message(ParseJobsQuery("after=abcdefghijklmnop").status()), HasSubstr("bad job id"));
  EXPECT_THAT(Message(ParseJobsQuery("sort=id").status()),
              HasSubstr("unknown parameter \"sort\": this route takes state, queue, task"));
}

TEST(ParseWorkflowsQueryTest, ParametersAndErrors) {
  auto request = ParseWorkflowsQuery("state=failed&limit=5");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->state_name(), "failed");
  EXPECT_EQ(request->limit(), 5u);
  EXPECT_THAT(Message(ParseWorkflowsQuery("state=dead").status()),
              HasSubstr("state must be one of running, succeeded, failed, cancelled"));
  EXPECT_THAT(Message(ParseWorkflowsQuery("queue=x").status()), HasSubstr("unknown parameter"));
}

TEST(ParseIdsBodyTest, IdsInOrder) {
  const std::string other = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8ea0";
  auto ids = ParseIdsBody(std::string("{\"ids\": [\"") + kId + "\", \"" + other + "\"]}");
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0], std::string(JobId::Parse(kId)->Bytes()));
  EXPECT_EQ((*ids)[1], std::string(JobId::Parse(other)->Bytes()));
}

TEST(ParseIdsBodyTest, BadBodiesSayWhatToSend) {
  for (const char* body : {"", "[]", "{", "\"ids\"", "null"}) {
    EXPECT_THAT(Message(ParseIdsBody(body).status()), HasSubstr("must be a JSON object")) << body;
  }
  EXPECT_THAT(Message(ParseIdsBody("{}").status()), HasSubstr("ids must be an array"));
  EXPECT_THAT(Message(ParseIdsBody("{\"ids\": []}").status()), HasSubstr("1..1000"));
  EXPECT_THAT(Message(ParseIdsBody("{\"ids\": [1]}").status()), HasSubstr("as strings"));
  EXPECT_THAT(Message(ParseIdsBody("{\"ids\": [\"xyz\"]}").status()),
              HasSubstr("bad job id \"xyz\""));
  EXPECT_THAT(
      Message(ParseIdsBody(std::string("{\"ids\": [\"") + kId + "\"], \"all\": true}").status()),
      HasSubstr("only ids"));
  std::string deep = "{\"ids\": ";
  for (int i = 0; i < 100; ++i) {
    deep += "[";
  }
  EXPECT_FALSE(ParseIdsBody(deep).ok());
  std::string many = "{\"ids\": [";
  for (int i = 0; i < 1001; ++i) {
    many += std::string(i > 0 ? "," : "") + "\"" + kId + "\"";
  }
  EXPECT_THAT(Message(ParseIdsBody(many + "]}").status()), HasSubstr("1..1000"));
}

TEST(ParseLoginBodyTest, TokenOrWhatToSend) {
  auto token = ParseLoginBody("{\"token\": \"0123456789abcdef\"}");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "0123456789abcdef");
  EXPECT_THAT(Message(ParseLoginBody("{\"token\": \"\"}").status()),
              HasSubstr("token must be a non-empty string"));
  EXPECT_THAT(Message(ParseLoginBody("{\"token\": 5}").status()), HasSubstr("token must be"));
  EXPECT_THAT(Message(ParseLoginBody("token=abc").status()), HasSubstr("JSON object"));
}

TEST(CheckNoQueryTest, NamesTheFirstParameter) {
  EXPECT_TRUE(CheckNoQuery("").ok());
  EXPECT_THAT(Message(CheckNoQuery("verbose=1")), HasSubstr("\"verbose\": this route takes no"));
}

TEST(ParseJobIdTextTest, LongInputIsShownCut) {
  const std::string message = Message(ParseJobIdText(std::string(10'000, 'x')).status());
  EXPECT_LT(message.size(), 300u);
  EXPECT_THAT(message, HasSubstr("..."));
}

}  // namespace
}  // namespace jobq::broker::http
