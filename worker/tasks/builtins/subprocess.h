#pragma once
// RunSubprocess: runs a program to completion the way the exec task needs
// it. The program is started with posix_spawnp (argv as given, looked up in
// PATH, no shell) in a process group of its own, with stdin from a string or
// /dev/null, and stdout and stderr captured up to a limit each. A deadline
// or a cancellation token stops it: SIGTERM to its process group, then
// SIGKILL after a grace period; the child is always reaped before return.
//
// Thread-safe: any number of threads may run subprocesses at once (every
// descriptor is opened close-on-exec, so one child never inherits another's
// pipes).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/tasks/cancellation_token.h"

namespace jobq::worker {

struct SubprocessOptions {
  std::vector<std::string> argv;  // non-empty; argv[0] is the program
  // Written to the child's stdin, which is then closed; nullopt: /dev/null.
  std::optional<std::string> stdin_data;
  // Kept of each of stdout and stderr; the rest is read and dropped, so
  // the child never blocks on a full pipe.
  size_t output_max_bytes = size_t{1} << 20;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const CancellationToken* cancel = nullptr;  // optional; must outlive the call
  // Between SIGTERM and SIGKILL, to let the program clean up.
  std::chrono::milliseconds kill_grace{2000};
};

struct SubprocessOutcome {
  enum class End {
    kExited,     // exited by itself: exit_code (-1 if its status was lost to
                 // a waitpid(-1) elsewhere in the process)
    kSignaled,   // killed by a signal nobody here sent: signal
    kTimedOut,   // the deadline passed; the group was killed
    kCancelled,  // the token was set; the group was killed
  };
  End end = End::kExited;
  int exit_code = 0;
  int signal = 0;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
};

// Runs `options.argv`. An error status only when the program could not be
// started (not found, not executable, out of descriptors); its message
// names the program. Everything after the start is in the outcome.
absl::StatusOr<SubprocessOutcome> RunSubprocess(const SubprocessOptions& options);

}  // namespace jobq::worker
