#pragma once
// ChildChannel: frames (worker/child/child_frames.h) over one end of the
// socketpair between the worker and a CPU-pool child. The parent uses it
// non-blocking from its poll loop (Flush() what fits, ReadSome() what is
// there); the child uses it blocking (one job at a time). Sends never raise
// SIGPIPE: a peer that is gone shows as a failed call.
//
// Owns the descriptor. Not thread-safe; one thread owns a channel.

#include <string>

#include "worker/child/child_frames.h"

namespace jobq::worker::child {

class ChildChannel {
 public:
  ChildChannel() = default;
  // Takes ownership of `fd` (a connected stream socket), or -1 for none.
  explicit ChildChannel(int fd) : fd_(fd) {}
  ChildChannel(ChildChannel&& other) noexcept;
  ChildChannel& operator=(ChildChannel&& other) noexcept;
  ChildChannel(const ChildChannel&) = delete;
  ChildChannel& operator=(const ChildChannel&) = delete;
  ~ChildChannel() { Close(); }

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void Close();

  // Queues one frame behind those not yet sent. False when it is over
  // kMaxChildFrameBytes; nothing is queued then.
  [[nodiscard]] bool Queue(ChildFrameType type, const google::protobuf::MessageLite& body);
  [[nodiscard]] bool Queue(ChildFrameType type);  // a frame without a body

  // Sends queued bytes. On a non-blocking socket, as many as fit now; on a
  // blocking one, all of them. False when the peer is gone or the socket
  // failed; the rest stays queued but will never go.
  [[nodiscard]] bool Flush();
  bool has_unsent() const { return sent_ < outbox_.size(); }

  enum class ReadStatus {
    kRead,        // some bytes were added to the buffer
    kWouldBlock,  // nothing there (non-blocking only)
    kClosed,      // the peer closed its end; no more bytes will come
    kFailed,      // the socket failed (errno-style error)
  };
  // One recv() into the buffer; blocks on a blocking socket.
  ReadStatus ReadSome();

  // The next whole frame in the buffer, or why there is none. The body
  // stays valid until the next ReadSome() or NextFrame() call.
  DecodedChildFrame NextFrame();

 private:
  int fd_ = -1;
  std::string outbox_;
  size_t sent_ = 0;
  std::string inbox_;
  size_t consumed_ = 0;  // bytes at the front of inbox_ already decoded
};

}  // namespace jobq::worker::child
