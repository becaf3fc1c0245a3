#pragma once
// The frames the worker and the children of its CPU pool exchange over
// their socketpair (DESIGN §1, §7). Each frame is
//
//   length  4 bytes, big-endian: how many bytes follow (type + body),
//           1..kMaxChildFrameBytes
//   type    1 byte, a ChildFrameType
//   body    by type:
//             kJob     parent -> child   a wire::DispatchedJob
//             kStop    parent -> child   empty: the sentinel; the child exits 0
//             kReady   child -> parent   empty: tasks loaded, reading jobs
//             kResult  child -> parent   the wire::JobResult of the job it was sent
//             kProgress child -> parent  a wire::ProgressReport of the job it runs
//
// A length of 0 or over the limit, or an unknown type, means the peer is
// broken: the reader stops talking to it (the parent kills such a child,
// the child exits). Which types each side accepts is the reader's business.
//
// Pure functions over byte buffers, so that both ends and the fuzzer share
// one decoder. Thread-compatible.

#include <google/protobuf/message_lite.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jobq::worker::child {

inline constexpr size_t kFrameLengthBytes = 4;
// A limit on one frame, so that a corrupt length cannot make a reader
// allocate gigabytes. Jobs and results larger than this do not fit the
// broker's messages either.
inline constexpr uint32_t kMaxChildFrameBytes = 64u << 20;

enum class ChildFrameType : uint8_t {
  kJob = 1,
  kStop = 2,
  kReady = 3,
  kResult = 4,
  kProgress = 5,
};

const char* ChildFrameTypeName(ChildFrameType type);

// Appends one frame to *out. False, with *out unchanged, when the frame
// would be larger than kMaxChildFrameBytes (or the message does not
// serialize).
[[nodiscard]] bool AppendChildFrame(ChildFrameType type, std::string_view body, std::string* out);
[[nodiscard]] bool AppendChildFrame(ChildFrameType type, const google::protobuf::MessageLite& body,
                                    std::string* out);

enum class FrameStatus {
  kFrame,       // a whole frame: type, body and consumed are set
  kIncomplete,  // a prefix of a valid frame; read more bytes
  kBadLength,   // the length is 0 or over kMaxChildFrameBytes
  kBadType,     // the type byte is not a ChildFrameType
};

struct DecodedChildFrame {
  FrameStatus status = FrameStatus::kIncomplete;
  ChildFrameType type{};
  std::string_view body;  // points into the decoded buffer
  size_t consumed = 0;    // bytes the frame took from the front of the buffer
  uint32_t length = 0;    // the length field, when there was one
  uint8_t type_byte = 0;  // the type byte, when there was one
  // What is wrong, for logs and job errors; empty for kFrame/kIncomplete.
  std::string ErrorText() const;
};

// Decodes the frame at the front of `buffer`. Never reads past it.
DecodedChildFrame DecodeChildFrame(std::string_view buffer);

}  // namespace jobq::worker::child
