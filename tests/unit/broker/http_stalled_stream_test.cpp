// The dashboard's HTTP server (broker/http/http_server.h) on a real socket:
// an event stream whose reader stopped reading is ended once a write has
// waited request_timeout_ms, and its slot goes to the next dashboard. The
// snapshots here are a megabyte each, so that the socket's buffers fill in
// a second rather than in the minutes a broker's few-KB snapshots take.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "broker/admin/admin_auth.h"
#include "broker/http/access.h"
#include "broker/http/dashboard_api.h"
#include "broker/http/http_server.h"
#include "broker/http/sessions.h"
#include "broker/http/status_feed.h"
#include "tests/support/http_client.h"
#include "tests/support/wait_for.h"

namespace jobq::broker::http {
namespace {

using ::jobq::testing::RawConnection;
using ::jobq::testing::WaitFor;

constexpr size_t kStreamsMax = 1;
constexpr char kEventsRequest[] = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

class StalledStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.address = "127.0.0.1:0";
    options.event_streams_max = kStreamsMax;
    options.request_timeout_ms = 500;
    ASSERT_TRUE(server_.Start(options).ok());
  }

  // A new snapshot at every look the feed takes (every 100 ms), each a
  // megabyte of JSON.
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> NextSnapshot() {
    auto snapshot = std::make_shared<::jobq::admin::GetStatusResponse>();
    snapshot->set_uptime_ms(++snapshots_);
    snapshot->set_store(std::string(1 << 20, 's'));
    return snapshot;
  }

  // Only what GET /api/events uses.
  DashboardParts Parts() {
    DashboardParts parts;
    parts.feed = &feed_;
    parts.access = &access_;
    parts.refusals = &refusals_;
    parts.now_ms = [] { return int64_t{0}; };
    return parts;
  }

  std::atomic<int64_t> snapshots_{0};
  admin::AdminAuth open_;  // no tokens: everyone may read
  SessionStore sessions_;
  Access access_{&open_, &sessions_};
  RefusalCounters refusals_;
  StatusFeed feed_{[this] { return NextSnapshot(); }, [](::jobq::admin::GetStatusResponse*) {},
                   [] { return int64_t{0}; }, kStreamsMax};
  DashboardApi api_{Parts()};
  HttpServer server_{&api_, &feed_};
};

TEST_F(StalledStreamTest, AReaderThatStopsReadingLosesItsStreamAndItsSlot) {
  // Small receive buffer, and never a read.
  RawConnection stalled(server_.address(), 4096);
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.Send(kEventsRequest));
  ASSERT_TRUE(WaitFor([&] { return feed_.streams() == 1; }));
  // The only slot is taken: the next dashboard is turned away.
  RawConnection refused(server_.address());
  ASSERT_TRUE(refused.Send(kEventsRequest));
  EXPECT_NE(refused.ReadUntil("\r\n", 1, std::chrono::seconds(20)).find(" 503 "),
            std::string::npos);

  // Once a write to the stalled reader has waited request_timeout_ms, its
  // stream ends and the server closes the connection (what it had sent
  // still drains first).
  EXPECT_TRUE(WaitFor([&] { return feed_.streams() == 0; }, std::chrono::seconds(60)));
  EXPECT_TRUE(stalled.WaitClosed(std::chrono::seconds(60)));
  // The slot is free for the next dashboard, which gets events.
  RawConnection next(server_.address());
  ASSERT_TRUE(next.Send(kEventsRequest));
  const std::string read = next.ReadUntil("event: status\n", 2, std::chrono::seconds(20));
  EXPECT_NE(read.find(" 200 OK"), std::string::npos) << read.substr(0, 200);
  EXPECT_NE(read.find("event: status\n"), std::string::npos);
  EXPECT_EQ(feed_.streams(), 1u);
}

}  // namespace
}  // namespace jobq::broker::http
