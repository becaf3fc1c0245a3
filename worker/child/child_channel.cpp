#include "worker/child/child_channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace jobq::worker::child {
namespace {

// Big enough that a typical job or result arrives in one recv().
constexpr size_t kReadChunkBytes = 64 * 1024;

}  // namespace

ChildChannel::ChildChannel(ChildChannel&& other) noexcept { *this = std::move(other); }

ChildChannel& ChildChannel::operator=(ChildChannel&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    outbox_ = std::move(other.outbox_);
    sent_ = std::exchange(other.sent_, 0);
    inbox_ = std::move(other.inbox_);
    consumed_ = std::exchange(other.consumed_, 0);
  }
  return *this;
}

void ChildChannel::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool ChildChannel::Queue(ChildFrameType type, const google::protobuf::MessageLite& body) {
  return AppendChildFrame(type, body, &outbox_);
}

bool ChildChannel::Queue(ChildFrameType type) {
  return AppendChildFrame(type, std::string_view(), &outbox_);
}

bool ChildChannel::Flush() {
  while (sent_ < outbox_.size()) {
    // MSG_NOSIGNAL: a child that died must not take the worker with it.
    const ssize_t n = ::send(fd_, outbox_.data() + sent_, outbox_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    sent_ += static_cast<size_t>(n);
  }
  outbox_.clear();
  sent_ = 0;
  return true;
}

ChildChannel::ReadStatus ChildChannel::ReadSome() {
  // Drop what was decoded before growing the buffer, so it holds at most
  // one partial frame plus one chunk.
  if (consumed_ > 0) {
    inbox_.erase(0, consumed_);
    consumed_ = 0;
  }
  const size_t old_size = inbox_.size();
  inbox_.resize(old_size + kReadChunkBytes);
  while (true) {
    const ssize_t n = ::recv(fd_, inbox_.data() + old_size, kReadChunkBytes, 0);
    if (n > 0) {
      inbox_.resize(old_size + static_cast<size_t>(n));
      return ReadStatus::kRead;
    }
    inbox_.resize(old_size);
    if (n == 0) {
      return ReadStatus::kClosed;
    }
    if (errno == EINTR) {
      inbox_.resize(old_size + kReadChunkBytes);
      continue;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK ? ReadStatus::kWouldBlock : ReadStatus::kFailed;
  }
}

DecodedChildFrame ChildChannel::NextFrame() {
  DecodedChildFrame frame = DecodeChildFrame(std::string_view(inbox_).substr(consumed_));
  if (frame.status == FrameStatus::kFrame) {
    consumed_ += frame.consumed;
  }
  return frame;
}

}  // namespace jobq::worker::child
