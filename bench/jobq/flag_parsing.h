#pragma once
// The command lines of the bench/jobq programs: "--flag value" pairs only,
// --help or -h for the usage. Each program says what its flags mean; this
// walks argv, and says what is wrong and exits when something is.

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace jobq::bench {

struct Usage {
  const char* program;  // prefixes a problem: "<program>: <problem>"
  const char* text;     // the usage lines, each ending in '\n'

  // Prints `problem` (if any) and the usage on stderr, then exits: 0 when
  // there is no problem (--help), 2 otherwise.
  [[noreturn]] void Exit(const std::string& problem) const {
    if (!problem.empty()) {
      std::fprintf(stderr, "%s: %s\n", program, problem.c_str());
    }
    std::fputs(text, stderr);
    std::exit(problem.empty() ? 0 : 2);
  }
};

// What a flag does with its value; one that will not do calls Usage::Exit.
using FlagSetter = std::function<void(const std::string& value)>;

// The setter of a flag whose value is any text.
inline FlagSetter Text(std::string* out) {
  return [out](const std::string& value) { *out = value; };
}

// Hands the value of each "--flag value" pair of argv, in order, to the
// setter of its flag.
inline void ParseFlagPairs(int argc, char** argv, const Usage& usage,
                           const std::map<std::string_view, FlagSetter>& setters) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage.Exit("");
    }
    if (i + 1 >= argc) {
      usage.Exit(std::string(flag) + " needs a value");
    }
    const std::string value = argv[++i];
    const auto setter = setters.find(flag);
    if (setter == setters.end()) {
      usage.Exit("unknown flag " + std::string(flag));
    }
    setter->second(value);
  }
}

// Whether all of `text` is a whole number that fits in *out (stored there).
template <typename Number>
bool ParseWholeNumber(const std::string& text, Number* out) {
  const char* end_of_text = text.data() + text.size();
  auto [end, error] = std::from_chars(text.data(), end_of_text, *out);
  return error == std::errc() && end == end_of_text;
}

}  // namespace jobq::bench
