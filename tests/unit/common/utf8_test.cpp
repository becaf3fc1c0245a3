#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace jobq {
namespace {

TEST(Utf8Test, AcceptsTextInEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("default"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));           // 2 bytes
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));          // 3 bytes: euro sign
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));      // 4 bytes: an emoji
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is valid UTF-8
}

TEST(Utf8Test, RefusesWhatProtobufRefuses) {
  EXPECT_FALSE(IsValidUtf8("defa\xf5lt"));        // no such lead byte
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
}

}  // namespace
}  // namespace jobq
