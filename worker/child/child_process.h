#pragma once
// ChildProcess: the parent's handle on one CPU-pool child — its pid and the
// parent's end of their socketpair. Spawn() starts the worker's executable
// in child mode with posix_spawn (never fork(): the worker has threads, and
// a forked copy of a threaded process may inherit locks held by threads that
// do not exist in it). The child gets its end of the socketpair as
// kChildChannelFd, /dev/null as stdin, the parent's stdout and stderr, and
// no other descriptor.
//
// A ChildProcess is reaped exactly once: by TryReap() returning a status,
// or, as a last resort, by the destructor (SIGKILL, then a blocking wait),
// so that no child outlives its handle as a zombie.
//
// Not thread-safe; one thread owns a handle. The thread that spawns a child
// should live as long as the child: PR_SET_PDEATHSIG fires when the
// spawning *thread* ends.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/child/child_channel.h"

namespace jobq::worker::child {

class ChildProcess {
 public:
  // Starts `executable` with `args` (after argv[0], which is `arg0`). The
  // parent's end of the channel is non-blocking and close-on-exec.
  // Fails when no socketpair can be made or posix_spawn fails (for example,
  // no such executable).
  static absl::StatusOr<ChildProcess> Spawn(const std::string& executable, const std::string& arg0,
                                            const std::vector<std::string>& args);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  ChildChannel& channel() { return channel_; }
  bool reaped() const { return reaped_; }

  // SIGKILL, unless already reaped (a pid is not reused before its reaping,
  // so this can never hit another process). Idempotent.
  void Kill();

  // The wait status once the child has ended (it is reaped then), nullopt
  // while it still runs. Never blocks. After a status, returns it again.
  std::optional<int> TryReap();

 private:
  ChildProcess(pid_t pid, ChildChannel channel) : pid_(pid), channel_(std::move(channel)) {}

  pid_t pid_ = -1;
  ChildChannel channel_;
  bool reaped_ = false;
  int status_ = 0;
};

// How a child ended, for job errors and logs:
//   "child 1234 killed by signal 11 (Segmentation fault)"
//   "child 1234 exited with code 3"
std::string DescribeChildExit(pid_t pid, int wait_status);

}  // namespace jobq::worker::child
