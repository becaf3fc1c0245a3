#include "worker/conn/process_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace jobq::worker {
namespace {

// utime + stime of /proc/self/stat (fields 14 and 15) in seconds.
std::optional<double> ReadCpuSeconds() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  if (!std::getline(file, line)) {
    return std::nullopt;
  }
  // Field 2 (the command name) is in parentheses and may contain spaces, so
  // counting starts after the last ')'; the next field is field 3.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(line.substr(close + 1));
  std::string skipped;
  for (int field = 3; field < 14; ++field) {
    fields >> skipped;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(fields >> utime >> stime)) {
    return std::nullopt;
  }
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (ticks_per_second <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(ticks_per_second);
}

// Field 2 of /proc/self/statm is resident pages.
uint64_t ReadRssBytes() {
  std::ifstream file("/proc/self/statm");
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  if (!(file >> size_pages >> resident_pages)) {
    return 0;
  }
  const long page_bytes = sysconf(_SC_PAGESIZE);
  return page_bytes > 0 ? resident_pages * static_cast<uint64_t>(page_bytes) : 0;
}

}  // namespace

ProcessStats::Sample ProcessStats::Take(std::chrono::steady_clock::time_point now) {
  Sample sample;
  sample.rss_bytes = ReadRssBytes();
  std::optional<double> cpu_seconds = ReadCpuSeconds();
  if (!cpu_seconds.has_value()) {
    return sample;
  }
  if (previous_.has_value()) {
    const double wall_seconds = std::chrono::duration<double>(now - previous_->at).count();
    if (wall_seconds > 0) {
      sample.cpu_percent = 100.0 * (*cpu_seconds - previous_->cpu_seconds) / wall_seconds;
    }
  }
  previous_ = CpuReading{now, *cpu_seconds};
  return sample;
}

}  // namespace jobq::worker
