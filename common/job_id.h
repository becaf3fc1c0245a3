#pragma once
// JobId: a 128-bit, time-ordered job identifier (UUIDv7, RFC 9562). On the
// wire it is 16 raw bytes; for people it is the canonical 36-character form.
// Ids sort by creation time, so a listing by id is a listing by age.
//
// JobIdGenerator is not thread-safe; the broker's loop owns one.

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"

namespace jobq {

class JobId {
 public:
  static constexpr size_t kSize = 16;

  JobId() { bytes_.fill(0); }

  // From the 16 wire bytes; nullopt when `bytes` has another length.
  static std::optional<JobId> FromBytes(std::string_view bytes);
  // From the canonical text form (hex digits, hyphens optional, any case).
  static std::optional<JobId> Parse(std::string_view text);

  std::string ToString() const;
  std::string_view Bytes() const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), kSize);
  }
  bool IsZero() const;

  // On two 64-bit words: the defaulted operators call memcmp, which the
  // broker's lookups and sorts of ids showed as a tenth of its CPU in a
  // large workflow. The same order as the bytes' (big-endian words).
  friend bool operator==(const JobId& a, const JobId& b) { return a.Words() == b.Words(); }
  friend std::strong_ordering operator<=>(const JobId& a, const JobId& b) {
    return a.Words() <=> b.Words();
  }

  size_t Hash() const;
  // For absl's hash tables, which mix it further.
  template <typename H>
  friend H AbslHashValue(H state, const JobId& id) {
    return H::combine(std::move(state), id.Hash());
  }

 private:
  friend class JobIdGenerator;

  // The 16 bytes as two big-endian numbers, so that comparing the pairs
  // compares the bytes in order.
  std::pair<uint64_t, uint64_t> Words() const {
    uint64_t high;
    uint64_t low;
    std::memcpy(&high, bytes_.data(), sizeof high);
    std::memcpy(&low, bytes_.data() + sizeof high, sizeof low);
    if constexpr (std::endian::native == std::endian::little) {
      high = __builtin_bswap64(high);
      low = __builtin_bswap64(low);
    }
    return {high, low};
  }

  std::array<uint8_t, kSize> bytes_;
};

// A job id from the wire as people read it: the canonical text of 16
// bytes; plain hex of any other length, which only a faulty peer sends,
// so that a log line or message still shows what it sent.
std::string JobIdText(std::string_view bytes);

// Makes UUIDv7 ids: 48 bits of unix milliseconds, then a 74-bit counter
// seeded at random each millisecond so ids made within one millisecond still
// increase. The seed makes a run reproducible (the simulation relies on it).
class JobIdGenerator {
 public:
  explicit JobIdGenerator(uint64_t seed) : random_(seed) {}
  JobId Next(TimeMs now_ms);

 private:
  std::mt19937_64 random_;
  TimeMs last_ms_ = -1;
  uint64_t counter_high_ = 0;  // 12 bits (rand_a)
  uint64_t counter_low_ = 0;   // 62 bits (rand_b)
};

}  // namespace jobq

template <>
struct std::hash<jobq::JobId> {
  size_t operator()(const jobq::JobId& id) const { return id.Hash(); }
};
