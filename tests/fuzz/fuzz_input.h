#pragma once
// Helpers the fuzz targets share: reading a fuzzer's bytes as a stream of
// small fields, and turning them into argv.
//
// The formats are plain byte layouts (not FuzzedDataProvider's, which reads
// from both ends) so that tests/fuzz/make_seeds.cpp can write valid seeds.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace jobq::fuzz {

// Reads fields front to back; past the end, reads give zeros and empty
// strings, so every input means something.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return data_.empty(); }

  uint8_t U8() {
    if (data_.empty()) {
      return 0;
    }
    const auto value = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return value;
  }
  uint16_t U16() {  // little-endian
    const uint16_t low = U8();
    return static_cast<uint16_t>(low | (U8() << 8));
  }
  std::string_view Bytes(size_t n) {
    const std::string_view out = data_.substr(0, std::min(n, data_.size()));
    data_.remove_prefix(out.size());
    return out;
  }
  // A u16 length, then that many bytes (fewer at the end of the input).
  std::string_view Sized() { return Bytes(U16()); }
  std::string_view Rest() { return Bytes(data_.size()); }

 private:
  std::string_view data_;
};

// The lines of `input`, without their '\n'; none for an empty input.
inline std::vector<std::string> SplitLines(std::string_view input) {
  std::vector<std::string> lines;
  while (!input.empty()) {
    const size_t end = std::min(input.find('\n'), input.size());
    lines.emplace_back(input.substr(0, end));
    input.remove_prefix(std::min(end + 1, input.size()));
  }
  return lines;
}

// argv for a flag parser: argv[0] is `program`, then one argument per line
// of the input. As in a real argv, an argument ends at its first NUL.
class Argv {
 public:
  Argv(std::string program, std::string_view input) : args_(SplitLines(input)) {
    args_.insert(args_.begin(), std::move(program));
    for (std::string& arg : args_) {
      pointers_.push_back(arg.data());
    }
    pointers_.push_back(nullptr);  // argv[argc], as main() gets it
  }
  int argc() const { return static_cast<int>(args_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

// Silences std::cout and std::cerr while it lives: parsers print usage and
// errors there, and printing every input would slow the fuzzer tenfold.
// A JOBQ_CHECK's message is lost too, but not its abort.
class QuietStreams {
 public:
  QuietStreams() : out_(std::cout.rdbuf(nullptr)), err_(std::cerr.rdbuf(nullptr)) {}
  ~QuietStreams() {
    std::cout.rdbuf(out_);
    std::cout.clear();
    std::cerr.rdbuf(err_);
    std::cerr.clear();
  }
  QuietStreams(const QuietStreams&) = delete;
  QuietStreams& operator=(const QuietStreams&) = delete;

 private:
  std::streambuf* out_;
  std::streambuf* err_;
};

}  // namespace jobq::fuzz
