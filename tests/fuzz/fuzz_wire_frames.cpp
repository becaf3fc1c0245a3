// DecodeFrames (common/framing.h), the envelope of every ZeroMQ message, on
// any frames, for each socket side; then the body as its receiver parses it.
//
// Input: one byte (bits 0-1 the channel, bit 2 whether frames[0] is a
// routing id), then frames, each a one-byte length and that many bytes.

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "common/framing.h"
#include "jobq/wire.pb.h"
#include "tests/fuzz/fuzz_input.h"

namespace jobq {
namespace {

// The body type of each command (docs/protocol.md), new and empty.
std::unique_ptr<google::protobuf::Message> BodyFor(Command command) {
  switch (command) {
    case Command::kSubmit:
      return std::make_unique<wire::Submit>();
    case Command::kSentinel:
    case Command::kWorkerSentinel:
      return std::make_unique<wire::Sentinel>();
    case Command::kWait:
      return std::make_unique<wire::Wait>();
    case Command::kCancel:
    case Command::kWorkerCancel:
      return std::make_unique<wire::Cancel>();
    case Command::kSubmitted:
      return std::make_unique<wire::Submitted>();
    case Command::kClientResult:
      return std::make_unique<wire::ClientResults>();
    case Command::kError:
      return std::make_unique<wire::Error>();
    case Command::kHello:
      return std::make_unique<wire::Hello>();
    case Command::kCredit:
      return std::make_unique<wire::Credit>();
    case Command::kWorkerResult:
      return std::make_unique<wire::WorkerResults>();
    case Command::kWorkerHeartbeat:
    case Command::kBrokerHeartbeat:
      return std::make_unique<wire::Heartbeat>();
    case Command::kWelcome:
      return std::make_unique<wire::Welcome>();
    case Command::kDispatch:
      return std::make_unique<wire::Dispatch>();
    case Command::kProgress:
    case Command::kBye:
    case Command::kReconnect:
      return std::make_unique<wire::Empty>();
  }
  return nullptr;
}

bool Within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace
}  // namespace jobq

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Bodies with bad UTF-8 in string fields log a line each: noise here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jobq;
  fuzz::ByteReader in(data, size);
  const uint8_t mode = in.U8();
  const auto channel = static_cast<Channel>(mode & 3);
  const bool has_routing_id = (mode & 4) != 0;
  std::vector<std::string_view> frames;
  while (!in.empty()) frames.push_back(in.Bytes(in.U8()));

  const DecodedFrames decoded = DecodeFrames(frames, channel, has_routing_id);
  JOBQ_CHECK(decoded.ErrorText().empty() == (decoded.error == FrameError::kNone));
  if (decoded.error != FrameError::kNone) return 0;

  JOBQ_CHECK(IsCommandAllowed(channel, decoded.command));
  JOBQ_CHECK(std::string_view(CommandName(decoded.command)) != "UNKNOWN");
  // The views point into the frames they came from, never elsewhere.
  JOBQ_CHECK(has_routing_id ? decoded.routing_id.data() == frames[0].data()
                            : decoded.routing_id.empty());
  JOBQ_CHECK(decoded.body.empty() || Within(decoded.body, frames.back()));

  std::unique_ptr<google::protobuf::Message> body = BodyFor(decoded.command);
  JOBQ_CHECK(body != nullptr);
  body->ParseFromArray(decoded.body.data(), static_cast<int>(decoded.body.size()));
  return 0;
}
