#include "common/endpoint_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jobq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitEndpointListTest, OneEndpointIsAListOfOne) {
  absl::StatusOr<std::vector<std::string>> endpoints = SplitEndpointList("tcp://127.0.0.1:5555");
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  EXPECT_THAT(*endpoints, ElementsAre("tcp://127.0.0.1:5555"));
}

TEST(SplitEndpointListTest, SeveralInOrderWithoutTheSpacesAroundThem) {
  absl::StatusOr<std::vector<std::string>> endpoints =
      SplitEndpointList(" tcp://a:5555 ,tcp://b:5555,\tipc:///tmp/c ");
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  EXPECT_THAT(*endpoints, ElementsAre("tcp://a:5555", "tcp://b:5555", "ipc:///tmp/c"));
}

TEST(SplitEndpointListTest, BadListsAreRefusedNamingTheItem) {
  struct Case {
    std::string list;
    std::string says;
  };
  for (const Case& bad : {
           Case{"", "the broker endpoint is empty"},
           Case{"  ", "the broker endpoint is empty"},
           Case{"tcp://a:1,", "endpoint 2 of \"tcp://a:1,\" is empty"},
           Case{",tcp://a:1", "endpoint 1 of"},
           Case{"tcp://a:1,,tcp://b:2", "endpoint 2 of"},
           Case{"tcp://a:1, tcp://a:1", "tcp://a:1 is given twice"},
       }) {
    absl::StatusOr<std::vector<std::string>> endpoints = SplitEndpointList(bad.list);
    ASSERT_FALSE(endpoints.ok()) << "'" << bad.list << "'";
    EXPECT_TRUE(absl::IsInvalidArgument(endpoints.status()));
    EXPECT_THAT(endpoints.status().message(), HasSubstr(bad.says)) << "'" << bad.list << "'";
  }
}

TEST(SplitEndpointListTest, AtMostSixteenBrokers) {
  std::string list;
  for (size_t i = 0; i <= kEndpointListMax; ++i) {
    list += (i == 0 ? "" : ",") + std::string("tcp://h:") + std::to_string(1000 + i);
  }
  EXPECT_THAT(SplitEndpointList(list).status().message(), HasSubstr("more than 16 brokers"));
  list.resize(list.rfind(','));
  EXPECT_TRUE(SplitEndpointList(list).ok());
}

TEST(IsConnectableEndpointTest, TcpNeedsHostAndNumericPort) {
  EXPECT_TRUE(IsConnectableEndpoint("tcp://127.0.0.1:5556"));
  EXPECT_TRUE(IsConnectableEndpoint("tcp://broker.local:5556"));
  EXPECT_TRUE(IsConnectableEndpoint("ipc:///run/jobq.sock"));
  EXPECT_TRUE(IsConnectableEndpoint("inproc://x"));
  EXPECT_FALSE(IsConnectableEndpoint("localhost:5556"));
  EXPECT_FALSE(IsConnectableEndpoint("tcp://host"));
  EXPECT_FALSE(IsConnectableEndpoint("tcp://:5556"));
  EXPECT_FALSE(IsConnectableEndpoint("tcp://host:"));
  EXPECT_FALSE(IsConnectableEndpoint("tcp://host:55x6"));
  EXPECT_FALSE(IsConnectableEndpoint("ipc://"));
}

}  // namespace
}  // namespace jobq
