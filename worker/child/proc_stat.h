#pragma once
// Reads a process's CPU time and resident memory from Linux's /proc, for
// the worker's HEARTBEAT (its own use plus its children's) and for
// --max-rss-per-child. Statistics are never worth failing for: a process
// that is gone or a /proc that cannot be read gives nullopt.
//
// Thread-safe (reads files only).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace jobq::worker::child {

struct CpuTimes {
  double own_seconds = 0;     // utime + stime: the process's threads
  double reaped_seconds = 0;  // cutime + cstime: its children it has waited for
};

// From /proc/PID/stat; pid 0 means this process.
std::optional<CpuTimes> ReadCpuTimes(pid_t pid);
// From /proc/PID/statm; pid 0 means this process.
std::optional<uint64_t> ReadRssBytes(pid_t pid);

// The parsing behind ReadCpuTimes: one /proc/PID/stat line and the clock
// ticks per second.
std::optional<CpuTimes> ParseStatCpuTimes(std::string_view stat_line, long ticks_per_second);

}  // namespace jobq::worker::child
