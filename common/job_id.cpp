#include "common/job_id.h"

#include <cstring>

#include "common/hex.h"

namespace jobq {

std::optional<JobId> JobId::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return std::nullopt;
  }
  JobId id;
  std::memcpy(id.bytes_.data(), bytes.data(), kSize);
  return id;
}

std::optional<JobId> JobId::Parse(std::string_view text) {
  JobId id;
  size_t nibbles = 0;
  for (char c : text) {
    if (c == '-') {
      continue;
    }
    int value = HexDigitValue(c);
    if (value < 0 || nibbles >= 2 * kSize) {
      return std::nullopt;
    }
    uint8_t& byte = id.bytes_[nibbles / 2];
    byte = static_cast<uint8_t>(nibbles % 2 == 0 ? value << 4 : byte | value);
    ++nibbles;
  }
  if (nibbles != 2 * kSize) {
    return std::nullopt;
  }
  return id;
}

std::string JobId::ToString() const {
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < kSize; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text.push_back('-');
    }
    text.push_back(kLowerHexDigits[bytes_[i] >> 4]);
    text.push_back(kLowerHexDigits[bytes_[i] & 0xf]);
  }
  return text;
}

bool JobId::IsZero() const {
  for (uint8_t byte : bytes_) {
    if (byte != 0) {
      return false;
    }
  }
  return true;
}

size_t JobId::Hash() const {
  // The low 8 bytes are random (rand_b), which is all a hash table needs.
  uint64_t low;
  std::memcpy(&low, bytes_.data() + 8, sizeof(low));
  uint64_t high;
  std::memcpy(&high, bytes_.data(), sizeof(high));
  return static_cast<size_t>(low ^ (high * 0x9e3779b97f4a7c15ULL));
}

JobId JobIdGenerator::Next(TimeMs now_ms) {
  if (now_ms > last_ms_) {
    last_ms_ = now_ms;
    counter_high_ = random_() & 0x3ff;  // leave headroom to count upwards
    counter_low_ = random_() & ((1ULL << 62) - 1);
  } else if (++counter_low_ >> 62) {
    counter_low_ = 0;
    counter_high_ = (counter_high_ + 1) & 0xfff;
  }
  const uint64_t ms = static_cast<uint64_t>(last_ms_) & 0xffffffffffffULL;
  JobId id;
  for (int i = 0; i < 6; ++i) {
    id.bytes_[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  }
  id.bytes_[6] = static_cast<uint8_t>(0x70 | (counter_high_ >> 8));  // version 7
  id.bytes_[7] = static_cast<uint8_t>(counter_high_);
  id.bytes_[8] = static_cast<uint8_t>(0x80 | (counter_low_ >> 56));  // variant 10
  for (int i = 9; i < 16; ++i) {
    id.bytes_[i] = static_cast<uint8_t>(counter_low_ >> (8 * (15 - i)));
  }
  return id;
}

std::string JobIdText(std::string_view bytes) {
  if (std::optional<JobId> id = JobId::FromBytes(bytes)) {
    return id->ToString();
  }
  std::string text;
  text.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    text.push_back(kLowerHexDigits[byte >> 4]);
    text.push_back(kLowerHexDigits[byte & 0xf]);
  }
  return text;
}

}  // namespace jobq
