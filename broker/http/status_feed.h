#pragma once
// StatusFeed: the status snapshots the broker's loop publishes (the
// StatusBoard, every 200 ms), each rendered to JSON once, for GET
// /api/status and every GET /api/events stream alike. 100 open dashboards
// cost one rendering per snapshot, and none of them ever asks the loop
// anything: the feed only reads the board.
//
// Streams wait in Next() for a snapshot newer than the one they sent;
// a stream's thread (a civetweb worker) writes it, so a reader that does
// not read stalls only its own thread until the write times out. The
// number of streams is capped (TryOpen).
//
// Thread-safe. Stop() wakes every waiting stream for good.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "jobq/admin.pb.h"

namespace jobq::broker::http {

struct RenderedStatus {
  uint64_t sequence = 0;  // 1, 2, ... one per snapshot rendered
  std::string json;       // `jobq status --json` plus "now_ms"
  std::string event;      // the SSE event: "event: status\ndata: JSON\n\n"
};

class StatusFeed {
 public:
  // The board's latest snapshot (null before the first); called often, so
  // it must be cheap (a pointer copy under a lock).
  using Source = std::function<std::shared_ptr<const ::jobq::admin::GetStatusResponse>()>;
  // Fills what the loop does not know into a copy of a snapshot (version,
  // refusal counters) before it is rendered.
  using Stamp = std::function<void(::jobq::admin::GetStatusResponse*)>;
  // Unix ms, for "now_ms".
  using WallClock = std::function<int64_t()>;

  StatusFeed(Source source, Stamp stamp, WallClock wall_clock, size_t streams_max);
  ~StatusFeed();  // Stop()

  // The latest snapshot rendered (rendering it first when the board has a
  // newer one); null before the loop published one.
  std::shared_ptr<const RenderedStatus> Current();

  // Takes a stream slot: false when `streams_max` are open (or stopped).
  bool TryOpen();
  void Close();
  size_t streams() const;

  // Waits until a snapshot newer than `sent` (a sequence, 0 = none yet) is
  // rendered, or `timeout`, or Stop(). Null on timeout or stop.
  std::shared_ptr<const RenderedStatus> Next(uint64_t sent, std::chrono::milliseconds timeout);
  bool stopped() const;

  void Stop();

 private:
  void Watch();  // the thread that looks at the board while streams are open

  const Source source_;
  const Stamp stamp_;
  const WallClock wall_clock_;
  const size_t streams_max_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  const ::jobq::admin::GetStatusResponse* rendered_from_ = nullptr;  // identity only
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> rendered_snapshot_;
  std::shared_ptr<const RenderedStatus> current_;
  size_t streams_ = 0;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace jobq::broker::http
