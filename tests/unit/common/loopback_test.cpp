#include "common/loopback.h"

#include <gtest/gtest.h>

namespace jobq {
namespace {

TEST(LoopbackTest, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "127.255.255.255", "localhost", "LocalHost",
                           "::1", "[::1]", "::ffff:127.0.0.1", "[0:0:0:0:0:0:0:1]"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
}

TEST(LoopbackTest, EveryOtherHostIsNot) {
  for (const char* host :
       {"", "*", "0.0.0.0", "::", "[::]", "10.0.0.1", "128.0.0.1", "126.255.255.255",
        "192.168.1.10", "::2", "::ffff:10.0.0.1", "broker.example.com", "localhost.example.com",
        "127.0.0.1.nip.io", "localhost6", "fe80::1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(LoopbackTest, HostOfAddress) {
  EXPECT_EQ(HostOfAddress("127.0.0.1:50051"), "127.0.0.1");
  EXPECT_EQ(HostOfAddress("[::1]:50051"), "[::1]");
  EXPECT_EQ(HostOfAddress("[::]:0"), "[::]");
  EXPECT_EQ(HostOfAddress("tcp://10.1.2.3:5555"), "10.1.2.3");
  EXPECT_EQ(HostOfAddress("tcp://*:5555"), "*");
  EXPECT_EQ(HostOfAddress("ipv4:127.0.0.1:1"), "127.0.0.1");
  EXPECT_EQ(HostOfAddress(":50051"), "");
  EXPECT_EQ(HostOfAddress("localhost"), "localhost");
}

TEST(LoopbackTest, Addresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:0"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackAddress("tcp://127.0.0.1:*"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/jobq/admin.sock"));
  EXPECT_TRUE(IsLoopbackAddress("ipc:///tmp/jobq"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress(":50051"));
  EXPECT_FALSE(IsLoopbackAddress("tcp://*:5555"));
  EXPECT_FALSE(IsLoopbackAddress("tcp://0.0.0.0:5555"));
  EXPECT_FALSE(IsLoopbackAddress("broker.internal:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:50051"));
}

}  // namespace
}  // namespace jobq
