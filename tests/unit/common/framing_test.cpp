#include "common/framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jobq {
namespace {

using namespace std::string_view_literals;

DecodedFrames Decode(const std::vector<std::string_view>& frames, Channel channel,
                     bool has_routing_id) {
  return DecodeFrames(frames, channel, has_routing_id);
}

TEST(FramingTest, DecodesRouterSideSubmit) {
  const std::string command(1, static_cast<char>(Command::kSubmit));
  DecodedFrames decoded =
      Decode({"peer", "", kProtocolSignature, command, "body"}, Channel::kClientToBroker, true);
  ASSERT_EQ(decoded.error, FrameError::kNone) << decoded.ErrorText();
  EXPECT_EQ(decoded.routing_id, "peer");
  EXPECT_EQ(decoded.command, Command::kSubmit);
  EXPECT_EQ(decoded.body, "body");
}

TEST(FramingTest, BodyMayBeAbsent) {
  const std::string command(1, static_cast<char>(Command::kBye));
  DecodedFrames decoded =
      Decode({"w", "", kProtocolSignature, command}, Channel::kWorkerToBroker, true);
  ASSERT_EQ(decoded.error, FrameError::kNone);
  EXPECT_TRUE(decoded.body.empty());
}

TEST(FramingTest, RejectsWhatIsWrong) {
  const std::string submit(1, static_cast<char>(Command::kSubmit));
  const std::string hello(1, static_cast<char>(Command::kHello));
  EXPECT_EQ(Decode({}, Channel::kClientToBroker, true).error, FrameError::kTooFewFrames);
  EXPECT_EQ(Decode({"peer", "garbage"}, Channel::kClientToBroker, true).error,
            FrameError::kTooFewFrames);
  EXPECT_EQ(Decode({"peer", "x", kProtocolSignature, submit}, Channel::kClientToBroker, true).error,
            FrameError::kMissingDelimiter);
  EXPECT_EQ(Decode({"peer", "", "JQ\x02"sv, submit}, Channel::kClientToBroker, true).error,
            FrameError::kBadSignature);
  EXPECT_EQ(Decode({"peer", "", kProtocolSignature, hello}, Channel::kClientToBroker, true).error,
            FrameError::kBadCommand)
      << "HELLO is a worker command";
  EXPECT_EQ(
      Decode({"peer", "", kProtocolSignature, "\x01\x01"sv}, Channel::kClientToBroker, true).error,
      FrameError::kBadCommand);
  EXPECT_EQ(
      Decode({"peer", "", kProtocolSignature, submit, "a", "b"}, Channel::kClientToBroker, true)
          .error,
      FrameError::kTooManyFrames);
}

TEST(FramingTest, EveryErrorHasText) {
  for (FrameError error :
       {FrameError::kTooFewFrames, FrameError::kMissingDelimiter, FrameError::kBadSignature,
        FrameError::kBadCommand, FrameError::kTooManyFrames}) {
    DecodedFrames decoded;
    decoded.error = error;
    EXPECT_FALSE(decoded.ErrorText().empty());
  }
}

}  // namespace
}  // namespace jobq
