// ConnectionTable: connections beyond the bound are refused and not
// counted, a disconnect frees a place, and a descriptor reused by a later
// connection is judged afresh.

#include "broker/net/connection_table.h"

#include <gtest/gtest.h>

namespace jobq::broker::net {
namespace {

TEST(ConnectionTableTest, ConnectionsBeyondTheBoundAreCutAndNotCounted) {
  ConnectionTable table(2);
  EXPECT_TRUE(table.Accepted(10));
  EXPECT_TRUE(table.Accepted(11));
  EXPECT_FALSE(table.Accepted(12));
  EXPECT_FALSE(table.Accepted(13));
  EXPECT_EQ(table.admitted(), 2u);
  EXPECT_TRUE(table.IsCut(12));
  EXPECT_TRUE(table.IsCut(13));
  EXPECT_FALSE(table.IsCut(10));
  EXPECT_EQ(table.cut_total(), 2u);
}

TEST(ConnectionTableTest, ADisconnectFreesAPlace) {
  ConnectionTable table(1);
  EXPECT_TRUE(table.Accepted(10));
  EXPECT_FALSE(table.Accepted(11));
  // The cut one going frees nothing: it was never counted.
  table.Disconnected(11);
  EXPECT_FALSE(table.IsCut(11));
  EXPECT_FALSE(table.Accepted(12));
  table.Disconnected(10);
  EXPECT_EQ(table.admitted(), 0u);
  EXPECT_TRUE(table.Accepted(13));
}

TEST(ConnectionTableTest, AReusedDescriptorIsJudgedAfresh) {
  ConnectionTable table(1);
  EXPECT_TRUE(table.Accepted(10));
  EXPECT_FALSE(table.Accepted(11));
  table.Disconnected(11);
  table.Disconnected(10);
  // Descriptor 11 comes back for a new connection, admitted this time:
  // cutting it now would hit the wrong connection.
  EXPECT_TRUE(table.Accepted(11));
  EXPECT_FALSE(table.IsCut(11));
  // An accept for a descriptor still listed means its disconnect was
  // missed; the place it held is not counted twice.
  EXPECT_TRUE(table.Accepted(11));
  EXPECT_EQ(table.admitted(), 1u);
}

}  // namespace
}  // namespace jobq::broker::net
