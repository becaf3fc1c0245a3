#include "common/byte_size.h"

#include <gtest/gtest.h>

namespace jobq {
namespace {

TEST(ByteSizeTest, ParsesBytesAndBinarySuffixes) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("512K"), 512u * 1024);
  EXPECT_EQ(*ParseByteSize("16MiB"), 16u << 20);
  EXPECT_EQ(*ParseByteSize("16mb"), 16u << 20);
  EXPECT_EQ(*ParseByteSize("1G"), 1u << 30);
  EXPECT_EQ(*ParseByteSize(" 64 M "), 64u << 20);
  EXPECT_EQ(*ParseByteSize("1024GiB"), uint64_t{1} << 40);
}

TEST(ByteSizeTest, RejectsWhatIsNotASizeAndSaysWhatIs) {
  for (const char* bad :
       {"", "M", "0", "-1", "1.5M", "12X", "1T", "1025G", "99999999999999999999"}) {
    absl::StatusOr<uint64_t> parsed = ParseByteSize(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(parsed.status().message().find("16MiB"), std::string::npos) << bad;
  }
}

TEST(ByteSizeTest, FormatsTheShortestExactForm) {
  EXPECT_EQ(FormatByteSize(4096), "4KiB");
  EXPECT_EQ(FormatByteSize(4097), "4097");
  EXPECT_EQ(FormatByteSize(16u << 20), "16MiB");
  EXPECT_EQ(FormatByteSize(uint64_t{3} << 30), "3GiB");
  for (uint64_t bytes : {uint64_t{1}, uint64_t{1000}, uint64_t{1} << 20, uint64_t{5} << 30}) {
    EXPECT_EQ(*ParseByteSize(FormatByteSize(bytes)), bytes);
  }
}

}  // namespace
}  // namespace jobq
