#include "common/job_id.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace jobq {
namespace {

TEST(JobIdTest, TextRoundTrip) {
  JobIdGenerator generator(7);
  JobId id = generator.Next(1'700'000'000'000);
  std::string text = id.ToString();
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '7') << "version nibble of a UUIDv7";
  std::optional<JobId> parsed = JobId::Parse(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
}

TEST(JobIdTest, BytesRoundTrip) {
  JobIdGenerator generator(7);
  JobId id = generator.Next(5);
  std::optional<JobId> copy = JobId::FromBytes(id.Bytes());
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(*copy, id);
  EXPECT_FALSE(JobId::FromBytes("short").has_value());
}

// The comparison works on two machine words; it must still order ids as
// their bytes (ListJobs pages, the stores' order by id rely on it): a
// difference in any byte, high bits included, in either half.
TEST(JobIdTest, OrderIsTheOrderOfTheBytes) {
  std::mt19937_64 random(11);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string a(JobId::kSize, '\0');
    for (char& c : a) {
      c = static_cast<char>(byte(random));
    }
    std::string b = a;
    // Usually one byte differs, sometimes none.
    if (round % 10 != 0) {
      b[static_cast<size_t>(round) % JobId::kSize] = static_cast<char>(byte(random));
    }
    const JobId id_a = *JobId::FromBytes(a);
    const JobId id_b = *JobId::FromBytes(b);
    const int bytes_order = std::memcmp(a.data(), b.data(), JobId::kSize);
    EXPECT_EQ(id_a == id_b, bytes_order == 0) << round;
    EXPECT_EQ(id_a < id_b, bytes_order < 0) << round;
    EXPECT_EQ(id_a > id_b, bytes_order > 0) << round;
  }
}

TEST(JobIdTest, RejectsMalformedText) {
  EXPECT_FALSE(JobId::Parse("").has_value());
  EXPECT_FALSE(JobId::Parse("not-a-uuid").has_value());
  EXPECT_FALSE(JobId::Parse("0190d7a2-8c1e-7b3a-9f00-00000000000").has_value());
  EXPECT_FALSE(JobId::Parse("0190d7a2-8c1e-7b3a-9f00-0000000000000").has_value());
  EXPECT_FALSE(JobId::Parse("0190d7a2-8c1e-7b3a-9f00-00000000000g").has_value());
}

TEST(JobIdTest, IncreaseWithinAndAcrossMilliseconds) {
  JobIdGenerator generator(42);
  JobId previous = generator.Next(1000);
  for (int i = 0; i < 10000; ++i) {
    JobId next = generator.Next(1000 + i / 100);
    EXPECT_LT(previous, next);
    previous = next;
  }
}

TEST(JobIdTest, SameSeedSameIds) {
  JobIdGenerator a(3);
  JobIdGenerator b(3);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(a.Next(100 + i), b.Next(100 + i));
  }
}

TEST(JobIdTextTest, SixteenBytesAreTheCanonicalTextOthersHex) {
  const std::string text = "0190d4c2-7a4e-7c3b-9f1e-3a5b6c7d8e9f";
  EXPECT_EQ(JobIdText(JobId::Parse(text)->Bytes()), text);
  EXPECT_EQ(JobIdText("\x01\xff"), "01ff");
  EXPECT_EQ(JobIdText(""), "");
}

}  // namespace
}  // namespace jobq
