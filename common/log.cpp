#include "common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace jobq {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kOff:
      return "OFF";
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  if (text == "debug") {
    *level = LogLevel::kDebug;
  } else if (text == "info") {
    *level = LogLevel::kInfo;
  } else if (text == "warning" || text == "warn") {
    *level = LogLevel::kWarning;
  } else if (text == "error") {
    *level = LogLevel::kError;
  } else if (text == "off") {
    *level = LogLevel::kOff;
  } else {
    return false;
  }
  return true;
}

LogLine::LogLine(LogLevel level, std::string_view component, std::string_view event) {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  stream_ << stamp << ' ' << LevelName(level) << ' ' << component << ' ' << event;
}

LogLine& LogLine::Kv(std::string_view key, std::string_view value) {
  // Quote values a reader could not split on spaces.
  bool plain = !value.empty() && value.find_first_of(" \"=\n") == std::string_view::npos;
  stream_ << ' ' << key << '=';
  if (plain) {
    stream_ << value;
    return *this;
  }
  stream_ << '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      stream_ << '\\' << c;
    } else if (c == '\n') {
      stream_ << "\\n";
    } else {
      stream_ << c;
    }
  }
  stream_ << '"';
  return *this;
}

LogLine::~LogLine() {
  stream_ << '\n';
  std::string line = stream_.str();
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace jobq
