// The frames between the worker and its CPU-pool children
// (worker/child/child_frames.h), read as both ends read them: through a
// ChildChannel, whose buffer keeps partial frames across reads, over a real
// socketpair. The input arrives in chunks, as recv() may cut it anywhere.
//
// Input: chunks, each a u16 little-endian length and that many bytes.

#include <google/protobuf/stubs/logging.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "jobq/wire.pb.h"
#include "tests/fuzz/fuzz_input.h"
#include "worker/child/child_channel.h"
#include "worker/child/child_frames.h"

namespace jobq::worker::child {
namespace {

// What holds for a decode of `buffer`, whatever it holds.
void CheckDecode(std::string_view buffer) {
  const DecodedChildFrame frame = DecodeChildFrame(buffer);
  JOBQ_CHECK(frame.ErrorText().empty() ==
             (frame.status == FrameStatus::kFrame || frame.status == FrameStatus::kIncomplete));
  if (frame.status != FrameStatus::kFrame) {
    return;
  }
  JOBQ_CHECK(frame.consumed <= buffer.size());
  JOBQ_CHECK(frame.body.data() >= buffer.data() &&
             frame.body.data() + frame.body.size() <= buffer.data() + frame.consumed);
  // A frame is what its encoder makes of its type and body...
  std::string again;
  JOBQ_CHECK(AppendChildFrame(frame.type, frame.body, &again));
  JOBQ_CHECK(again == buffer.substr(0, frame.consumed));
  // ...and any shorter prefix of it is only incomplete: a reader waits for
  // the rest instead of taking a truncated body.
  for (size_t cut : {size_t{0}, kFrameLengthBytes, kFrameLengthBytes + 1, frame.consumed - 1}) {
    if (cut < frame.consumed) {
      JOBQ_CHECK(DecodeChildFrame(buffer.substr(0, cut)).status == FrameStatus::kIncomplete);
    }
  }
}

// As the parent (RESULT, PROGRESS) or the child (JOB) parses a body.
void ParseBody(const DecodedChildFrame& frame) {
  const int size = static_cast<int>(frame.body.size());
  if (frame.type == ChildFrameType::kJob) {
    wire::DispatchedJob job;
    job.ParseFromArray(frame.body.data(), size);
  } else if (frame.type == ChildFrameType::kResult) {
    wire::JobResult result;
    result.ParseFromArray(frame.body.data(), size);
  } else if (frame.type == ChildFrameType::kProgress) {
    wire::ProgressReport report;
    report.ParseFromArray(frame.body.data(), size);
  }
}

}  // namespace
}  // namespace jobq::worker::child

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // bad UTF-8 in a body logs a line
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq::worker::child;
  jobq::fuzz::ByteReader in(data, size);
  int fds[2];
  JOBQ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
  ChildChannel reader(fds[0]);
  std::string sent;  // everything written, to check the channel's frames against
  size_t decoded_bytes = 0;
  bool broken = false;
  while (!in.empty() && !broken) {
    // At most 64 KiB per chunk: it fits the socket's buffer, so one write
    // never blocks and the reads below take all of it.
    const std::string_view chunk = in.Sized();
    JOBQ_CHECK(::write(fds[1], chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
    sent.append(chunk);
    while (!broken && reader.ReadSome() == ChildChannel::ReadStatus::kRead) {
      while (true) {
        const DecodedChildFrame frame = reader.NextFrame();
        if (frame.status == FrameStatus::kIncomplete) {
          break;
        }
        CheckDecode(std::string_view(sent).substr(decoded_bytes));
        if (frame.status != FrameStatus::kFrame) {
          broken = true;  // both ends stop talking to such a peer
          break;
        }
        // The channel's frame is the one at the same place in the stream.
        JOBQ_CHECK(std::string_view(sent).substr(decoded_bytes + kFrameLengthBytes + 1,
                                                 frame.body.size()) == frame.body);
        decoded_bytes += frame.consumed;
        ParseBody(frame);
      }
    }
  }
  ::close(fds[1]);
  return 0;
}
