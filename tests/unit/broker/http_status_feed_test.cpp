// StatusFeed (broker/http/status_feed.h): each snapshot rendered once
// whatever the number of readers, streams woken by a new one, the cap.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "broker/http/status_feed.h"

namespace jobq::broker::http {
namespace {

class Board {
 public:
  void Publish(uint64_t uptime_ms) {
    auto snapshot = std::make_shared<::jobq::admin::GetStatusResponse>();
    snapshot->set_uptime_ms(uptime_ms);
    std::lock_guard lock(mutex_);
    latest_ = std::move(snapshot);
  }
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> Latest() {
    std::lock_guard lock(mutex_);
    return latest_;
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> latest_;
};

struct Fixture {
  Board board;
  std::atomic<int> stamps{0};
  StatusFeed feed{[this] { return board.Latest(); },
                  [this](::jobq::admin::GetStatusResponse* status) {
                    ++stamps;
                    status->set_version("9.9.9");
                  },
                  [] { return int64_t{1234}; }, 2};
};

TEST(StatusFeedTest, NothingBeforeTheFirstSnapshot) {
  Fixture f;
  EXPECT_EQ(f.feed.Current(), nullptr);
  EXPECT_EQ(f.feed.Next(0, std::chrono::milliseconds(1)), nullptr);
}

TEST(StatusFeedTest, RendersEachSnapshotOnceAsTheCliPrintsIt) {
  Fixture f;
  f.board.Publish(42);
  std::shared_ptr<const RenderedStatus> first = f.feed.Current();
  ASSERT_NE(first, nullptr);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(f.feed.Current(), first);  // the same string, not a copy
  }
  EXPECT_EQ(f.stamps.load(), 1);
  const nlohmann::json json = nlohmann::json::parse(first->json);
  EXPECT_EQ(json["uptime_ms"], "42");  // int64 as a string, as `jobq status --json`
  EXPECT_EQ(json["version"], "9.9.9");
  EXPECT_EQ(json["now_ms"], 1234);
  EXPECT_TRUE(json.contains("shutting_down"));  // zeros and falses included
  EXPECT_EQ(first->event, "event: status\ndata: " + first->json + "\n\n");
  f.board.Publish(43);
  std::shared_ptr<const RenderedStatus> second = f.feed.Current();
  EXPECT_EQ(second->sequence, first->sequence + 1);
  EXPECT_EQ(f.stamps.load(), 2);
}

TEST(StatusFeedTest, StreamsWakeOnANewSnapshotAndEndOnStop) {
  Fixture f;
  f.board.Publish(1);
  ASSERT_TRUE(f.feed.TryOpen());
  const uint64_t seen = f.feed.Current()->sequence;
  std::shared_ptr<const RenderedStatus> got;
  std::thread reader([&] { got = f.feed.Next(seen, std::chrono::seconds(60)); });
  // The feed's own thread looks at the board while a stream is open.
  f.board.Publish(2);
  reader.join();
  ASSERT_NE(got, nullptr);
  EXPECT_GT(got->sequence, seen);
  std::thread waiting([&] { got = f.feed.Next(got->sequence, std::chrono::seconds(60)); });
  f.feed.Stop();
  waiting.join();
  EXPECT_EQ(got, nullptr);
  EXPECT_TRUE(f.feed.stopped());
  f.feed.Close();
}

TEST(StatusFeedTest, StreamsAreCapped) {
  Fixture f;
  EXPECT_TRUE(f.feed.TryOpen());
  EXPECT_TRUE(f.feed.TryOpen());
  EXPECT_FALSE(f.feed.TryOpen());
  EXPECT_EQ(f.feed.streams(), 2u);
  f.feed.Close();
  EXPECT_TRUE(f.feed.TryOpen());
  f.feed.Close();
  f.feed.Close();
  EXPECT_EQ(f.feed.streams(), 0u);
}

}  // namespace
}  // namespace jobq::broker::http
