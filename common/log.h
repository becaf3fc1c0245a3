#pragma once
// Structured logging: one line per event,
//   2026-11-25T19:54:01.123Z INFO broker worker_joined name=w1 queues=default
// Events worth a line are rare by design (joins, deaths, restarts, errors);
// nothing logs once per job at the default level. Thread-safe: each line is
// written with one call.

#include <atomic>
#include <sstream>
#include <string>
#include <string_view>

namespace jobq {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// "debug" | "info" | "warning" | "error" | "off"; false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// Builds one line; written to stderr when it goes out of scope.
class LogLine {
 public:
  LogLine(LogLevel level, std::string_view component, std::string_view event);
  ~LogLine();

  template <typename T>
  LogLine& Kv(std::string_view key, const T& value) {
    stream_ << ' ' << key << '=' << value;
    return *this;
  }
  LogLine& Kv(std::string_view key, std::string_view value);
  LogLine& Kv(std::string_view key, const std::string& value) {
    return Kv(key, std::string_view(value));
  }
  LogLine& Kv(std::string_view key, const char* value) { return Kv(key, std::string_view(value)); }

 private:
  std::ostringstream stream_;
};

}  // namespace jobq

// Evaluates nothing when the level is off.
#define JOBQ_LOG(level, component, event)                \
  if (::jobq::LogLevel::level < ::jobq::GetLogLevel()) { \
  } else                                                 \
    ::jobq::LogLine(::jobq::LogLevel::level, component, event)
