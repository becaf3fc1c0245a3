#pragma once
// Real processes for integration tests: started with posix_spawn, output
// captured to files, stopped by PID (SIGTERM, then SIGKILL after a
// deadline). No fixed ports: brokers bind port 0 and report their endpoints
// through --ready-file. Not thread-safe; one test thread uses a Process.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/support/wait_for.h"

namespace jobq::testing {

// WaitExit, Stop and RunCommand scale their deadlines, as WaitFor does
// (tests/support/wait_for.h).

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

class Process {
 public:
  // Starts `argv[0]` with `argv`; stdout and stderr go to `log_prefix`.out/.err.
  // `env` entries are added to this process's environment.
  Process(std::vector<std::string> argv, const std::string& log_prefix,
          const std::map<std::string, std::string>& env = {});
  ~Process();  // Stop()s if still running

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM, then SIGKILL when it has not exited within `grace`. Returns the
  // exit status as from waitpid, or -1 if it was already reaped.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  void Kill();  // SIGKILL and reap
  void Signal(int signal);
  // Waits for exit; nullopt on timeout. The value is the exit code, or 128 +
  // signal number when killed by a signal.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  std::string Stdout() const { return ReadFile(log_prefix_ + ".out"); }
  std::string Stderr() const { return ReadFile(log_prefix_ + ".err"); }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::string log_prefix_;
};

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it timed out
  std::string out;
  std::string err;

  // Whether stdout or stderr contains `text`.
  bool Says(const std::string& text) const {
    return out.find(text) != std::string::npos || err.find(text) != std::string::npos;
  }
};

// Runs a command to completion with `input` on stdin; kills it after `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60),
                         const std::map<std::string, std::string>& env = {});

// A TCP port that was free a moment ago, for tests that must restart a
// broker on the same address.
int FreeTcpPort();

}  // namespace jobq::testing
