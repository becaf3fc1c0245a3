#pragma once
// CLI11 validators that parse a flag's text with one of our parsers and
// store the result: a value the parser refuses is reported by CLI11 like any
// other bad flag value, with the parser's message.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <utility>

#include "common/byte_size.h"
#include "common/duration.h"

namespace jobq::broker {

// `parse(text)` gives an absl::StatusOr of a value that converts to T.
template <typename T, typename Parse>
CLI::Validator ParsedInto(T* out, Parse parse, std::string kind) {
  return CLI::Validator(
      [out, parse = std::move(parse)](std::string& text) -> std::string {
        auto parsed = parse(text);
        if (!parsed.ok()) {
          return std::string(parsed.status().message());
        }
        *out = static_cast<T>(*parsed);
        return "";
      },
      std::move(kind));
}

// "90s", "5m", "1h30m" into milliseconds.
inline CLI::Validator DurationInto(int64_t* ms) {
  return ParsedInto(
      ms, [](const std::string& text) { return ParseDurationMs(text); }, "DURATION");
}

// "16MiB", "512KiB", "1000" into bytes.
template <typename Integer>
CLI::Validator ByteSizeInto(Integer* bytes) {
  return ParsedInto(
      bytes, [](const std::string& text) { return ParseByteSize(text); }, "SIZE");
}

}  // namespace jobq::broker
