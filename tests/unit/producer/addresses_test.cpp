#include "producer/cli/addresses.h"

#include <gtest/gtest.h>

namespace jobq::cli {
namespace {

TEST(ResolveAddressTest, CommandFlagWins) {
  EXPECT_EQ(ResolveAddress("tcp://a:1", "tcp://b:2", "tcp://c:3", "tcp://d:4"), "tcp://a:1");
}

TEST(ResolveAddressTest, ThenGlobalFlagThenEnvironmentThenDefault) {
  EXPECT_EQ(ResolveAddress("", "tcp://b:2", "tcp://c:3", "tcp://d:4"), "tcp://b:2");
  EXPECT_EQ(ResolveAddress("", "", "tcp://c:3", "tcp://d:4"), "tcp://c:3");
  EXPECT_EQ(ResolveAddress("", "", nullptr, "tcp://d:4"), "tcp://d:4");
  EXPECT_EQ(ResolveAddress("", "", "", "tcp://d:4"), "tcp://d:4") << "an empty variable is unset";
}

TEST(NormalizeBrokerEndpointTest, AddsTcpToHostPort) {
  EXPECT_EQ(NormalizeBrokerEndpoint("127.0.0.1:5555"), "tcp://127.0.0.1:5555");
  EXPECT_EQ(NormalizeBrokerEndpoint("broker.internal:5555"), "tcp://broker.internal:5555");
}

TEST(NormalizeBrokerEndpointTest, KeepsExplicitTransport) {
  EXPECT_EQ(NormalizeBrokerEndpoint("tcp://h:1"), "tcp://h:1");
  EXPECT_EQ(NormalizeBrokerEndpoint("ipc:///tmp/jobq.sock"), "ipc:///tmp/jobq.sock");
}

TEST(NormalizeBrokerEndpointTest, EachBrokerOfAListAlike) {
  EXPECT_EQ(NormalizeBrokerEndpoint("a:5555, tcp://b:5555 ,ipc:///tmp/c"),
            "tcp://a:5555,tcp://b:5555,ipc:///tmp/c");
  EXPECT_EQ(NormalizeBrokerEndpoint("a:5555,,b:5555"), "tcp://a:5555,,tcp://b:5555")
      << "an empty item stays, for the client to name";
}

}  // namespace
}  // namespace jobq::cli
