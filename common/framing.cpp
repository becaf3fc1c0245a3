#include "common/framing.h"

namespace jobq {

bool IsCommandAllowed(Channel channel, Command command) {
  switch (channel) {
    case Channel::kClientToBroker:
      return command == Command::kSubmit || command == Command::kSentinel ||
             command == Command::kWait || command == Command::kCancel ||
             command == Command::kSubmitWorkflow;
    case Channel::kBrokerToClient:
      return command == Command::kSubmitted || command == Command::kClientResult ||
             command == Command::kWorkflowSubmitted || command == Command::kError;
    case Channel::kWorkerToBroker:
      return command == Command::kHello || command == Command::kCredit ||
             command == Command::kWorkerResult || command == Command::kProgress ||
             command == Command::kWorkerHeartbeat || command == Command::kBye;
    case Channel::kBrokerToWorker:
      return command == Command::kWelcome || command == Command::kDispatch ||
             command == Command::kWorkerCancel || command == Command::kWorkerSentinel ||
             command == Command::kBrokerHeartbeat || command == Command::kReconnect ||
             command == Command::kError;
  }
  return false;
}

const char* CommandName(Command command) {
  switch (command) {
    case Command::kSubmit:
      return "SUBMIT";
    case Command::kSentinel:
      return "SENTINEL";
    case Command::kWait:
      return "WAIT";
    case Command::kCancel:
      return "CANCEL";
    case Command::kSubmitWorkflow:
      return "WORKFLOW";
    case Command::kWorkflowSubmitted:
      return "WORKFLOW_SUBMITTED";
    case Command::kSubmitted:
      return "SUBMITTED";
    case Command::kClientResult:
      return "RESULT";
    case Command::kError:
      return "ERROR";
    case Command::kHello:
      return "HELLO";
    case Command::kCredit:
      return "CREDIT";
    case Command::kWorkerResult:
      return "RESULT";
    case Command::kProgress:
      return "PROGRESS";
    case Command::kWorkerHeartbeat:
      return "HEARTBEAT";
    case Command::kBye:
      return "BYE";
    case Command::kWelcome:
      return "WELCOME";
    case Command::kDispatch:
      return "DISPATCH";
    case Command::kWorkerCancel:
      return "CANCEL";
    case Command::kWorkerSentinel:
      return "SENTINEL";
    case Command::kBrokerHeartbeat:
      return "HEARTBEAT";
    case Command::kReconnect:
      return "RECONNECT";
  }
  return "UNKNOWN";
}

std::string DecodedFrames::ErrorText() const {
  switch (error) {
    case FrameError::kNone:
      return "";
    case FrameError::kTooFewFrames:
      return "message has too few frames; expected [\"\"] [\"JQ\\x01\"] [command] [body]";
    case FrameError::kMissingDelimiter:
      return "first frame must be empty (the delimiter)";
    case FrameError::kBadSignature:
      return "signature frame must be \"JQ\" followed by version byte 1";
    case FrameError::kBadCommand:
      return "command frame must be one byte naming a command allowed on this socket";
    case FrameError::kTooManyFrames:
      return "message has frames after the body";
  }
  return "unknown framing error";
}

DecodedFrames DecodeFrames(std::span<const std::string_view> frames, Channel channel,
                           bool has_routing_id) {
  DecodedFrames decoded;
  size_t next = 0;
  if (has_routing_id) {
    if (frames.empty()) {
      decoded.error = FrameError::kTooFewFrames;
      return decoded;
    }
    decoded.routing_id = frames[next++];
  }
  // delimiter, signature and command are required; the body may be absent.
  if (frames.size() < next + 3) {
    decoded.error = FrameError::kTooFewFrames;
    return decoded;
  }
  if (!frames[next++].empty()) {
    decoded.error = FrameError::kMissingDelimiter;
    return decoded;
  }
  if (frames[next++] != kProtocolSignature) {
    decoded.error = FrameError::kBadSignature;
    return decoded;
  }
  std::string_view command = frames[next++];
  if (command.size() != 1 ||
      !IsCommandAllowed(channel, static_cast<Command>(static_cast<uint8_t>(command[0])))) {
    decoded.error = FrameError::kBadCommand;
    return decoded;
  }
  decoded.command = static_cast<Command>(static_cast<uint8_t>(command[0]));
  if (next < frames.size()) {
    decoded.body = frames[next++];
  }
  if (next != frames.size()) {
    decoded.error = FrameError::kTooManyFrames;
  }
  return decoded;
}

}  // namespace jobq
