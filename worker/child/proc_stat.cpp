#include "worker/child/proc_stat.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace jobq::worker::child {
namespace {

std::string ProcPath(pid_t pid, const char* file) {
  return "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/" + file;
}

}  // namespace

std::optional<CpuTimes> ParseStatCpuTimes(std::string_view stat_line, long ticks_per_second) {
  if (ticks_per_second <= 0) {
    return std::nullopt;
  }
  // Field 2 (the command name) is in parentheses and may contain spaces and
  // parentheses, so counting starts after the last ')'; the next field is 3.
  const size_t close = stat_line.rfind(')');
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  std::istringstream fields{std::string(stat_line.substr(close + 1))};
  std::string skipped;
  for (int field = 3; field < 14; ++field) {
    fields >> skipped;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  long long cutime = 0;  // signed in proc(5)
  long long cstime = 0;
  if (!(fields >> utime >> stime >> cutime >> cstime)) {
    return std::nullopt;
  }
  const double ticks = static_cast<double>(ticks_per_second);
  return CpuTimes{static_cast<double>(utime + stime) / ticks,
                  static_cast<double>(cutime + cstime) / ticks};
}

std::optional<CpuTimes> ReadCpuTimes(pid_t pid) {
  std::ifstream file(ProcPath(pid, "stat"));
  std::string line;
  if (!std::getline(file, line)) {
    return std::nullopt;
  }
  return ParseStatCpuTimes(line, sysconf(_SC_CLK_TCK));
}

std::optional<uint64_t> ReadRssBytes(pid_t pid) {
  // Field 2 of statm is resident pages.
  std::ifstream file(ProcPath(pid, "statm"));
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  if (!(file >> size_pages >> resident_pages)) {
    return std::nullopt;
  }
  const long page_bytes = sysconf(_SC_PAGESIZE);
  if (page_bytes <= 0) {
    return std::nullopt;
  }
  return resident_pages * static_cast<uint64_t>(page_bytes);
}

}  // namespace jobq::worker::child
