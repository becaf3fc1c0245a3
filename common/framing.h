#pragma once
// The envelope of every jobq ZeroMQ message (docs/protocol.md, "Frames"):
//
//   [routing id]   only as seen by a ROUTER
//   [""]           empty delimiter
//   ["JQ" 0x01]    protocol signature and version
//   [command]      one byte
//   [body]         a protobuf message; empty for commands without fields
//
// This file is pure: it checks frames given as byte views and says what is
// wrong with them, so the broker, the worker, the client and the fuzzer all
// share one decoder. Thread-compatible.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace jobq {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr std::string_view kProtocolSignature = "JQ\x01";
inline constexpr size_t kMaxRoutingIdBytes = 256;

enum class Command : uint8_t {
  // client -> broker
  kSubmit = 0x01,
  kSentinel = 0x02,
  kWait = 0x03,
  kCancel = 0x04,
  kSubmitWorkflow = 0x05,
  // broker -> client
  kSubmitted = 0x11,
  kClientResult = 0x12,
  kWorkflowSubmitted = 0x13,
  // either way, on either socket
  kError = 0x1f,
  // worker -> broker
  kHello = 0x21,
  kCredit = 0x22,
  kWorkerResult = 0x23,
  kProgress = 0x24,
  kWorkerHeartbeat = 0x25,
  kBye = 0x26,
  // broker -> worker
  kWelcome = 0x31,
  kDispatch = 0x32,
  kWorkerCancel = 0x33,
  kWorkerSentinel = 0x34,
  kBrokerHeartbeat = 0x35,
  kReconnect = 0x36,
};

// Which socket a message arrived on, and so which commands are legal.
enum class Channel {
  kClientToBroker,
  kBrokerToClient,
  kWorkerToBroker,
  kBrokerToWorker,
};

bool IsCommandAllowed(Channel channel, Command command);
const char* CommandName(Command command);

enum class FrameError {
  kNone,
  kTooFewFrames,      // not even an envelope
  kMissingDelimiter,  // the frame after the routing id is not empty
  kBadSignature,      // not "JQ" + version, or a version we do not speak
  kBadCommand,        // command frame not one byte, or not legal here
  kTooManyFrames,     // more than one body frame
};

struct DecodedFrames {
  FrameError error = FrameError::kNone;
  std::string_view routing_id;  // empty unless decoded with has_routing_id
  Command command{};
  std::string_view body;
  // What is wrong, for people; empty when error == kNone.
  std::string ErrorText() const;
};

// Decodes `frames` as received on `channel`. With `has_routing_id`, frames[0]
// is the ROUTER's routing id. The views point into `frames`.
DecodedFrames DecodeFrames(std::span<const std::string_view> frames, Channel channel,
                           bool has_routing_id);

}  // namespace jobq
