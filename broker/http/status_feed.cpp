#include "broker/http/status_feed.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

namespace jobq::broker::http {
namespace {

// The loop publishes every 200 ms; looking twice as often keeps a stream
// at most 100 ms behind, at the cost of a pointer compare.
constexpr std::chrono::milliseconds kWatchInterval{100};

std::string RenderJson(const ::jobq::admin::GetStatusResponse& status, int64_t now_ms) {
  // The options of `jobq status --json` (producer/cli/status_command.cpp).
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(status, &text, options).ok() || text.empty() ||
      text.back() != '}') {
    text = "{}";
  }
  text.pop_back();
  absl::StrAppend(&text, text.size() > 1 ? "," : "", "\"now_ms\":", now_ms, "}");
  return text;
}

}  // namespace

StatusFeed::StatusFeed(Source source, Stamp stamp, WallClock wall_clock, size_t streams_max)
    : source_(std::move(source)),
      stamp_(std::move(stamp)),
      wall_clock_(std::move(wall_clock)),
      streams_max_(streams_max) {
  watcher_ = std::thread([this] { Watch(); });
}

StatusFeed::~StatusFeed() {
  Stop();
  if (watcher_.joinable()) {
    watcher_.join();
  }
}

std::shared_ptr<const RenderedStatus> StatusFeed::Current() {
  std::shared_ptr<const ::jobq::admin::GetStatusResponse> latest = source_();
  std::lock_guard lock(mutex_);
  if (latest == nullptr || latest.get() == rendered_from_) {
    return current_;
  }
  // Rendered under the lock: two callers seeing one new snapshot render it
  // once between them. It takes well under a millisecond.
  ::jobq::admin::GetStatusResponse stamped = *latest;
  if (stamp_) {
    stamp_(&stamped);
  }
  stamped.set_http_event_streams(static_cast<uint32_t>(streams_));
  auto rendered = std::make_shared<RenderedStatus>();
  rendered->sequence = current_ == nullptr ? 1 : current_->sequence + 1;
  rendered->json = RenderJson(stamped, wall_clock_());
  rendered->event = absl::StrCat("event: status\ndata: ", rendered->json, "\n\n");
  // Kept so that the pointer compared above is never reused by another
  // snapshot while it is the one rendered.
  rendered_snapshot_ = std::move(latest);
  rendered_from_ = rendered_snapshot_.get();
  current_ = std::move(rendered);
  changed_.notify_all();
  return current_;
}

bool StatusFeed::TryOpen() {
  std::lock_guard lock(mutex_);
  if (stopping_ || streams_ >= streams_max_) {
    return false;
  }
  ++streams_;
  changed_.notify_all();  // wakes the watcher
  return true;
}

void StatusFeed::Close() {
  std::lock_guard lock(mutex_);
  --streams_;
}

size_t StatusFeed::streams() const {
  std::lock_guard lock(mutex_);
  return streams_;
}

bool StatusFeed::stopped() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

std::shared_ptr<const RenderedStatus> StatusFeed::Next(uint64_t sent,
                                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool fresh = changed_.wait_for(lock, timeout, [&] {
    return stopping_ || (current_ != nullptr && current_->sequence > sent);
  });
  if (!fresh || stopping_) {
    return nullptr;
  }
  return current_;
}

void StatusFeed::Stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
}

void StatusFeed::Watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (streams_ == 0) {
      // Nobody to feed: sleep until a stream opens (GET /api/status renders
      // on its own).
      changed_.wait(lock, [this] { return stopping_ || streams_ > 0; });
      continue;
    }
    changed_.wait_for(lock, kWatchInterval, [this] { return stopping_; });
    if (stopping_) {
      break;
    }
    lock.unlock();
    Current();
    lock.lock();
  }
}

}  // namespace jobq::broker::http
