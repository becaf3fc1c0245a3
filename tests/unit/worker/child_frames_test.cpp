// The frames between the worker and its CPU-pool children: what is
// encoded decodes back, and what is cut short, too long or garbage is
// refused without reading past the buffer.
#include "worker/child/child_frames.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "jobq/wire.pb.h"

namespace jobq::worker::child {
namespace {

std::string Frame(ChildFrameType type, std::string_view body) {
  std::string out;
  EXPECT_TRUE(AppendChildFrame(type, body, &out));
  return out;
}

TEST(ChildFramesTest, LayoutIsBigEndianLengthThenTypeThenBody) {
  const std::string frame = Frame(ChildFrameType::kResult, "abc");
  EXPECT_EQ(frame, std::string("\x00\x00\x00\x04\x04", 5) + "abc");
}

TEST(ChildFramesTest, AMessageRoundTrips) {
  wire::DispatchedJob job;
  job.set_id(std::string(16, '\x01'));
  job.set_task("sum_squares");
  job.set_payload(R"({"n": 10})");
  job.set_timeout_ms(1500);
  std::string buffer;
  ASSERT_TRUE(AppendChildFrame(ChildFrameType::kJob, job, &buffer));

  const DecodedChildFrame frame = DecodeChildFrame(buffer);
  ASSERT_EQ(frame.status, FrameStatus::kFrame) << frame.ErrorText();
  EXPECT_EQ(frame.type, ChildFrameType::kJob);
  EXPECT_EQ(frame.consumed, buffer.size());
  wire::DispatchedJob decoded;
  ASSERT_TRUE(decoded.ParseFromArray(frame.body.data(), static_cast<int>(frame.body.size())));
  EXPECT_EQ(decoded.task(), "sum_squares");
  EXPECT_EQ(decoded.timeout_ms(), 1500);
}

TEST(ChildFramesTest, EmptyBodiesAreFrames) {
  const DecodedChildFrame frame = DecodeChildFrame(Frame(ChildFrameType::kStop, ""));
  ASSERT_EQ(frame.status, FrameStatus::kFrame);
  EXPECT_EQ(frame.type, ChildFrameType::kStop);
  EXPECT_TRUE(frame.body.empty());
  EXPECT_EQ(frame.consumed, 5u);
}

TEST(ChildFramesTest, FramesInOneBufferDecodeOneAfterAnother) {
  const std::string buffer =
      Frame(ChildFrameType::kReady, "") + Frame(ChildFrameType::kResult, "xyz") + "\x00\x00";
  const DecodedChildFrame first = DecodeChildFrame(buffer);
  ASSERT_EQ(first.status, FrameStatus::kFrame);
  EXPECT_EQ(first.type, ChildFrameType::kReady);
  const DecodedChildFrame second =
      DecodeChildFrame(std::string_view(buffer).substr(first.consumed));
  ASSERT_EQ(second.status, FrameStatus::kFrame);
  EXPECT_EQ(second.type, ChildFrameType::kResult);
  EXPECT_EQ(second.body, "xyz");
  const DecodedChildFrame rest =
      DecodeChildFrame(std::string_view(buffer).substr(first.consumed + second.consumed));
  EXPECT_EQ(rest.status, FrameStatus::kIncomplete) << "two bytes of a length";
}

TEST(ChildFramesTest, EveryTruncationIsIncompleteNeverAFrame) {
  const std::string whole = Frame(ChildFrameType::kResult, "some result bytes");
  for (size_t size = 0; size < whole.size(); ++size) {
    // A copy of exactly `size` bytes, so a read past it would be caught by
    // sanitizers rather than land in the rest of `whole`.
    const std::string truncated = whole.substr(0, size);
    EXPECT_EQ(DecodeChildFrame(truncated).status, FrameStatus::kIncomplete) << "size " << size;
  }
  EXPECT_EQ(DecodeChildFrame(whole).status, FrameStatus::kFrame);
}

TEST(ChildFramesTest, ALengthOverTheLimitIsRefusedBeforeTheBodyArrives) {
  const DecodedChildFrame frame = DecodeChildFrame(std::string("\x04\x00\x00\x01", 4));
  EXPECT_EQ(frame.status, FrameStatus::kBadLength);
  EXPECT_NE(frame.ErrorText().find("over the limit"), std::string::npos) << frame.ErrorText();
  EXPECT_EQ(DecodeChildFrame(std::string("\xff\xff\xff\xff\x04", 5)).status,
            FrameStatus::kBadLength);
}

TEST(ChildFramesTest, TheLimitItselfIsAllowed) {
  std::string header;
  header.push_back(static_cast<char>((kMaxChildFrameBytes >> 24) & 0xff));
  header.push_back(static_cast<char>((kMaxChildFrameBytes >> 16) & 0xff));
  header.push_back(static_cast<char>((kMaxChildFrameBytes >> 8) & 0xff));
  header.push_back(static_cast<char>(kMaxChildFrameBytes & 0xff));
  header.push_back(static_cast<char>(ChildFrameType::kResult));
  EXPECT_EQ(DecodeChildFrame(header).status, FrameStatus::kIncomplete);
}

TEST(ChildFramesTest, ZeroLengthIsRefused) {
  const DecodedChildFrame frame = DecodeChildFrame(std::string("\x00\x00\x00\x00\x01", 5));
  EXPECT_EQ(frame.status, FrameStatus::kBadLength);
  EXPECT_NE(frame.ErrorText().find("length 0"), std::string::npos);
}

TEST(ChildFramesTest, UnknownTypesAreRefused) {
  for (char type : {'\x00', '\x06', '\x7f', '\xff'}) {
    const DecodedChildFrame frame = DecodeChildFrame(std::string("\x00\x00\x00\x01", 4) + type);
    EXPECT_EQ(frame.status, FrameStatus::kBadType) << static_cast<int>(type);
    EXPECT_NE(frame.ErrorText().find("unknown frame type"), std::string::npos);
  }
}

TEST(ChildFramesTest, AnOversizedBodyIsNotEncoded) {
  std::string out = "kept";
  const std::string body(kMaxChildFrameBytes, 'x');  // + the type byte = one over
  EXPECT_FALSE(AppendChildFrame(ChildFrameType::kResult, body, &out));
  EXPECT_EQ(out, "kept");
  EXPECT_TRUE(AppendChildFrame(ChildFrameType::kResult,
                               std::string_view(body).substr(0, kMaxChildFrameBytes - 1), &out));
  EXPECT_EQ(DecodeChildFrame(std::string_view(out).substr(4)).status, FrameStatus::kFrame);
}

TEST(ChildFramesTest, GarbageNeverDecodesPastItsBuffer) {
  std::mt19937 random(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string garbage(random() % 16, '\0');
    for (char& c : garbage) {
      c = static_cast<char>(random());
    }
    const DecodedChildFrame frame = DecodeChildFrame(garbage);
    if (frame.status == FrameStatus::kFrame) {
      EXPECT_LE(frame.consumed, garbage.size());
      EXPECT_EQ(frame.body.size() + 5, frame.consumed);
    }
  }
}

}  // namespace
}  // namespace jobq::worker::child
