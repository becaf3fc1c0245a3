#include "worker/child/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/check.h"
#include "worker/child/child_command_line.h"

extern char** environ;

namespace jobq::worker::child {
namespace {

std::string ErrnoText(int error) {
  char buffer[256];
  return strerror_r(error, buffer, sizeof(buffer));
}

// RAII for the posix_spawn attribute objects, which have destroy functions.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

}  // namespace

absl::StatusOr<ChildProcess> ChildProcess::Spawn(const std::string& executable,
                                                 const std::string& arg0,
                                                 const std::vector<std::string>& args) {
  int fds[2];
  // Close-on-exec on both ends: other children must not inherit them; the
  // dup2 below gives this child its own end without the flag.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return absl::ResourceExhaustedError("socketpair: " + ErrnoText(errno));
  }
  ChildChannel parent_end(fds[0]);
  int child_end = fds[1];
  // dup2 onto the same number would keep close-on-exec set, so move the
  // child's end away from kChildChannelFd first.
  if (child_end == kChildChannelFd) {
    child_end = ::fcntl(fds[1], F_DUPFD_CLOEXEC, kChildChannelFd + 1);
    ::close(fds[1]);
    if (child_end < 0) {
      return absl::ResourceExhaustedError("fcntl(F_DUPFD_CLOEXEC): " + ErrnoText(errno));
    }
  }
  // O_NONBLOCK lives on the open file description, which dup2 shares, so
  // only the parent's end (a separate description) is made non-blocking.
  const int flags = ::fcntl(parent_end.fd(), F_GETFL);
  ::fcntl(parent_end.fd(), F_SETFL, flags | O_NONBLOCK);

  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, child_end, kChildChannelFd);
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Whatever else the worker has open (ZeroMQ sockets, files of I/O tasks)
  // is none of the child's business, even if someone forgot O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, kChildChannelFd + 1);
  // The connection thread may block signals; a child starts with none
  // blocked and default dispositions (its main() picks what to ignore).
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t all_signals;
  sigfillset(&all_signals);
  sigdelset(&all_signals, SIGKILL);
  sigdelset(&all_signals, SIGSTOP);
  posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  posix_spawnattr_setsigdefault(&setup.attributes, &all_signals);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.reserve(args.size() + 2);
  argv.push_back(const_cast<char*>(arg0.c_str()));
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int error = ::posix_spawn(&pid, executable.c_str(), &setup.actions, &setup.attributes,
                                  argv.data(), environ);
  ::close(child_end);
  if (error != 0) {
    return absl::UnavailableError("posix_spawn " + executable + ": " + ErrnoText(error));
  }
  return ChildProcess(pid, std::move(parent_end));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    pid_ = std::exchange(other.pid_, -1);
    channel_ = std::move(other.channel_);
    reaped_ = std::exchange(other.reaped_, false);
    status_ = other.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  channel_.Close();
  if (pid_ <= 0 || reaped_) {
    return;
  }
  // Owners reap their children; this only keeps a bug (or an exception
  // unwinding) from leaving a zombie or an orphan.
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::Kill() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
  }
}

std::optional<int> ChildProcess::TryReap() {
  if (reaped_) {
    return status_;
  }
  JOBQ_CHECK(pid_ > 0) << "TryReap() on a moved-from child";
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == 0) {
    return std::nullopt;
  }
  // ECHILD would mean someone else reaped our child (a waitpid(-1) in task
  // code); the child is gone either way, and its status is unknown.
  reaped_ = true;
  status_ = result < 0 ? 0 : status;
  return status_;
}

std::string DescribeChildExit(pid_t pid, int wait_status) {
  const std::string child = "child " + std::to_string(pid);
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    const char* name = sigdescr_np(signal);
    return child + " killed by signal " + std::to_string(signal) +
           (name != nullptr ? std::string(" (") + name + ")" : std::string());
  }
  if (WIFEXITED(wait_status)) {
    return child + " exited with code " + std::to_string(WEXITSTATUS(wait_status));
  }
  return child + " ended with wait status " + std::to_string(wait_status);
}

}  // namespace jobq::worker::child
