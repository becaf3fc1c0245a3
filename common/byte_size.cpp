#include "common/byte_size.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace jobq {
namespace {

constexpr uint64_t kMaxBytes = uint64_t{1} << 40;

constexpr std::array<std::pair<std::string_view, uint64_t>, 10> kSuffixes = {{
    {"B", 1},
    {"K", uint64_t{1} << 10},
    {"KB", uint64_t{1} << 10},
    {"KIB", uint64_t{1} << 10},
    {"M", uint64_t{1} << 20},
    {"MB", uint64_t{1} << 20},
    {"MIB", uint64_t{1} << 20},
    {"G", uint64_t{1} << 30},
    {"GB", uint64_t{1} << 30},
    {"GIB", uint64_t{1} << 30},
}};

absl::Status Invalid(std::string_view text) {
  // Appended, not `"\"" + std::string(text)`: GCC 12 at -O3 (the Release
  // build) warns of an overlapping memcpy there, a false positive.
  std::string message = "\"";
  message.append(text);
  message.append(
      "\" is not a size: use bytes (4096) or a number with K, M or G (512K, 16MiB, 1G), "
      "more than 0 and at most 1 TiB");
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  // std::string_view throughout: Debian's absl has its own string_view.
  auto trim = [](std::string_view view) {
    while (!view.empty() && std::isspace(static_cast<unsigned char>(view.front()))) {
      view.remove_prefix(1);
    }
    while (!view.empty() && std::isspace(static_cast<unsigned char>(view.back()))) {
      view.remove_suffix(1);
    }
    return view;
  };
  const std::string_view trimmed = trim(text);
  uint64_t number = 0;
  const auto [digits_end, error] =
      std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), number);
  if (error != std::errc() || digits_end == trimmed.data()) {
    return Invalid(text);
  }
  std::string suffix(trim(trimmed.substr(static_cast<size_t>(digits_end - trimmed.data()))));
  for (char& c : suffix) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  uint64_t unit = suffix.empty() ? 1 : 0;
  for (const auto& [name, size] : kSuffixes) {
    if (suffix == name) {
      unit = size;
    }
  }
  if (unit == 0 || number == 0 || number > kMaxBytes / unit) {
    return Invalid(text);
  }
  return number * unit;
}

std::string FormatByteSize(uint64_t bytes) {
  static constexpr std::array<std::pair<const char*, int>, 3> kUnits = {
      {{"GiB", 30}, {"MiB", 20}, {"KiB", 10}}};
  for (const auto& [name, shift] : kUnits) {
    const uint64_t unit = uint64_t{1} << shift;
    if (bytes >= unit && bytes % unit == 0) {
      return std::to_string(bytes / unit) + name;
    }
  }
  return std::to_string(bytes);
}

}  // namespace jobq
