#pragma once
// Structure-aware JSON for the fuzz targets that take JSON text (job lines,
// job arguments, dispatched payloads). libFuzzer's inputs stay short (4 KB
// by default), and a short input cannot nest 100,000 deep or hold a 1 MB
// string: the deep payload of issue 14 went unfound. So in the text these
// targets read, an expansion marker stands for a generated piece far
// larger than the input:
//
//   0x01 KIND COUNT_LO COUNT_HI
//
// KIND's bits 0-2 pick the piece (JsonPiece); bits 4-5 a scale: the piece
// is COUNT times 4^scale units long, cut to what kJsonExpandedMax leaves.
// Bytes after a cut-off marker read as zeros. Everything else is copied as
// it is, so inputs without 0x01 (every older seed) mean what they meant. A
// piece never holds '\n': line-based targets keep their lines.
//
// Thread-compatible; header-only so that make_seeds.cpp writes the seeds
// with the same constants.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jobq::fuzz {

inline constexpr char kJsonExpandMarker = '\x01';
// The most text the expansion of one input produces: bounds a run's time
// and memory whatever the counts say.
inline constexpr size_t kJsonExpandedMax = size_t{1} << 20;

enum class JsonPiece : uint8_t {
  kArrays = 0,         // "[" x n then "]" x n
  kObjects = 1,        // {"a": x n, 0, then "}" x n
  kOpenArrays = 2,     // "[" x n, never closed
  kMixed = 3,          // [{"k": x n, 0, then }] x n
  kLongString = 4,     // "xxx...", n characters
  kEscapedString = 5,  // "\u00e9\"\\\ud83d\ude00..." n escapes, cycled
  kLongNumber = 6,     // n nines: past every integer type and, long enough, a double
  kExtremeNumber = 7,  // the n-th (cycled) of kExtremeNumbers
};

inline constexpr std::array<std::string_view, 17> kExtremeNumbers = {
    "1e999",
    "-1e999",
    "1e-999",
    "-0",
    "0e0",
    "4.9e-324",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775809",
    "1E+2",
    "123456789012345678901234567890",
    "0.000000000000000000000000000001",
};

// The marker for `count` x 4^scale units of `piece`, as seeds write it.
inline std::string JsonExpandMarker(JsonPiece piece, uint16_t count, uint8_t scale = 0) {
  std::string marker(1, kJsonExpandMarker);
  marker += static_cast<char>(static_cast<uint8_t>(piece) | (scale & 3) << 4);
  marker += static_cast<char>(count & 0xff);
  marker += static_cast<char>(count >> 8);
  return marker;
}

namespace internal {

inline void Repeat(std::string_view unit, size_t n, std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    out->append(unit);
  }
}

// Appends at most `budget` bytes of `piece`, `n` units long.
inline void AppendJsonPiece(JsonPiece piece, size_t n, size_t budget, std::string* out) {
  static constexpr std::array<std::string_view, 4> kEscapes = {"\\u00e9", "\\\"", "\\\\",
                                                               "\\ud83d\\ude00"};
  auto fit = [&](size_t unit_bytes, size_t fixed_bytes) {
    return budget < fixed_bytes ? 0 : std::min(n, (budget - fixed_bytes) / unit_bytes);
  };
  switch (piece) {
    case JsonPiece::kArrays:
      n = fit(2, 0);
      Repeat("[", n, out);
      Repeat("]", n, out);
      return;
    case JsonPiece::kObjects:
      n = fit(6, 1);
      Repeat("{\"a\":", n, out);
      out->append(budget >= 1 ? "0" : "");
      Repeat("}", n, out);
      return;
    case JsonPiece::kOpenArrays:
      Repeat("[", fit(1, 0), out);
      return;
    case JsonPiece::kMixed:
      n = fit(8, 1);
      Repeat("[{\"k\":", n, out);
      out->append(budget >= 1 ? "0" : "");
      Repeat("}]", n, out);
      return;
    case JsonPiece::kLongString:
      if (budget < 2) {
        return;
      }
      out->push_back('"');
      out->append(fit(1, 2), 'x');
      out->push_back('"');
      return;
    case JsonPiece::kEscapedString:
      if (budget < 2) {
        return;
      }
      n = fit(12, 2);
      out->push_back('"');
      for (size_t i = 0; i < n; ++i) {
        out->append(kEscapes[i % kEscapes.size()]);
      }
      out->push_back('"');
      return;
    case JsonPiece::kLongNumber:
      out->append(fit(1, 0), '9');
      return;
    case JsonPiece::kExtremeNumber: {
      const std::string_view number = kExtremeNumbers[n % kExtremeNumbers.size()];
      if (number.size() <= budget) {
        out->append(number);
      }
      return;
    }
  }
}

}  // namespace internal

// `text` with every marker replaced by its piece.
inline std::string ExpandJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t marker = std::min(text.find(kJsonExpandMarker), text.size());
    out.append(text.substr(0, marker));
    text.remove_prefix(marker);
    if (text.empty()) {
      break;
    }
    std::array<uint8_t, 3> params{};  // kind, count low, count high; zeros past the end
    for (size_t i = 0; i < params.size() && i + 1 < text.size(); ++i) {
      params[i] = static_cast<uint8_t>(text[i + 1]);
    }
    text.remove_prefix(std::min(text.size(), size_t{4}));
    const auto piece = static_cast<JsonPiece>(params[0] & 7);
    const size_t count = params[1] | size_t{params[2]} << 8;
    const size_t n = count << (2 * ((params[0] >> 4) & 3));
    const size_t budget = kJsonExpandedMax - std::min(out.size(), kJsonExpandedMax);
    internal::AppendJsonPiece(piece, n, budget, &out);
  }
  return out;
}

}  // namespace jobq::fuzz
