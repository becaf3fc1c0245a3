#include "worker/child/child_frames.h"

namespace jobq::worker::child {
namespace {

bool IsKnownType(uint8_t type) {
  return type >= static_cast<uint8_t>(ChildFrameType::kJob) &&
         type <= static_cast<uint8_t>(ChildFrameType::kProgress);
}

void AppendLength(uint32_t length, std::string* out) {
  out->push_back(static_cast<char>((length >> 24) & 0xff));
  out->push_back(static_cast<char>((length >> 16) & 0xff));
  out->push_back(static_cast<char>((length >> 8) & 0xff));
  out->push_back(static_cast<char>(length & 0xff));
}

}  // namespace

const char* ChildFrameTypeName(ChildFrameType type) {
  switch (type) {
    case ChildFrameType::kJob:
      return "JOB";
    case ChildFrameType::kStop:
      return "STOP";
    case ChildFrameType::kReady:
      return "READY";
    case ChildFrameType::kResult:
      return "RESULT";
    case ChildFrameType::kProgress:
      return "PROGRESS";
  }
  return "?";
}

bool AppendChildFrame(ChildFrameType type, std::string_view body, std::string* out) {
  // The type byte counts towards the length.
  if (body.size() >= kMaxChildFrameBytes) {
    return false;
  }
  out->reserve(out->size() + kFrameLengthBytes + 1 + body.size());
  AppendLength(static_cast<uint32_t>(body.size() + 1), out);
  out->push_back(static_cast<char>(type));
  out->append(body);
  return true;
}

bool AppendChildFrame(ChildFrameType type, const google::protobuf::MessageLite& body,
                      std::string* out) {
  const size_t body_bytes = body.ByteSizeLong();
  if (body_bytes >= kMaxChildFrameBytes) {
    return false;
  }
  const size_t start = out->size();
  AppendLength(static_cast<uint32_t>(body_bytes + 1), out);
  out->push_back(static_cast<char>(type));
  if (!body.AppendToString(out)) {
    out->resize(start);
    return false;
  }
  return true;
}

std::string DecodedChildFrame::ErrorText() const {
  switch (status) {
    case FrameStatus::kFrame:
    case FrameStatus::kIncomplete:
      return "";
    case FrameStatus::kBadLength:
      return length == 0 ? std::string("frame length 0 (a frame has at least its type byte)")
                         : "frame length " + std::to_string(length) + " is over the limit of " +
                               std::to_string(kMaxChildFrameBytes) + " bytes";
    case FrameStatus::kBadType:
      return "unknown frame type " + std::to_string(type_byte);
  }
  return "";
}

DecodedChildFrame DecodeChildFrame(std::string_view buffer) {
  DecodedChildFrame frame;
  if (buffer.size() < kFrameLengthBytes) {
    return frame;
  }
  const auto byte = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(buffer[i]));
  };
  frame.length = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  // Judged before waiting for the rest, so that a corrupt length fails at
  // once instead of leaving the reader waiting for gigabytes.
  if (frame.length == 0 || frame.length > kMaxChildFrameBytes) {
    frame.status = FrameStatus::kBadLength;
    return frame;
  }
  if (buffer.size() == kFrameLengthBytes) {
    return frame;
  }
  frame.type_byte = static_cast<uint8_t>(buffer[kFrameLengthBytes]);
  if (!IsKnownType(frame.type_byte)) {
    frame.status = FrameStatus::kBadType;
    return frame;
  }
  if (buffer.size() - kFrameLengthBytes < frame.length) {
    return frame;
  }
  frame.status = FrameStatus::kFrame;
  frame.type = static_cast<ChildFrameType>(frame.type_byte);
  frame.body = buffer.substr(kFrameLengthBytes + 1, frame.length - 1);
  frame.consumed = kFrameLengthBytes + frame.length;
  return frame;
}

}  // namespace jobq::worker::child
