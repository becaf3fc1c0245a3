#include "worker/tasks/builtins/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/check.h"

extern char** environ;

namespace jobq::worker {
namespace {

using Clock = std::chrono::steady_clock;

// How often the loop looks at the cancellation token, which has no
// descriptor to poll.
constexpr std::chrono::milliseconds kTokenCheckInterval{50};
constexpr size_t kReadChunk = 64 * 1024;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) {
      close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

absl::Status MakePipe(Pipe* pipe) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::ResourceExhaustedError(std::string("cannot create a pipe: ") +
                                        std::strerror(errno));
  }
  pipe->read.Reset(fds[0]);
  pipe->write.Reset(fds[1]);
  return absl::OkStatus();
}

void SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  JOBQ_CHECK(flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
      << "fcntl on a pipe we just made: " << std::strerror(errno);
}

// Writing to a pipe whose reader has gone raises SIGPIPE, which would end
// the whole worker. Blocked in this thread, the write fails with EPIPE
// instead; a SIGPIPE left pending is consumed before the mask is restored.
class ScopedBlockSigpipe {
 public:
  ScopedBlockSigpipe() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
  }
  ~ScopedBlockSigpipe() {
    const timespec no_wait{0, 0};
    while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  ScopedBlockSigpipe(const ScopedBlockSigpipe&) = delete;
  ScopedBlockSigpipe& operator=(const ScopedBlockSigpipe&) = delete;

 private:
  sigset_t sigpipe_;
  sigset_t previous_;
};

// posix_spawn's C structures, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attributes_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attributes() { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

// Appends what `fd` has to *kept, up to `max` bytes in all; the rest is
// dropped. Closes `fd` at end of file or on an error.
void Drain(Fd* fd, size_t max, std::string* kept, bool* truncated) {
  char buffer[kReadChunk];
  while (true) {
    const ssize_t n = read(fd->get(), buffer, sizeof(buffer));
    if (n > 0) {
      const size_t room = max - std::min(max, kept->size());
      const size_t take = std::min(room, static_cast<size_t>(n));
      kept->append(buffer, take);
      *truncated = *truncated || take < static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      return;
    }
    fd->Reset();  // end of file, or an error that will not go away
    return;
  }
}

// Writes what it can of data[*offset..]; closes `fd` when all is written
// or the child no longer reads (EPIPE).
void Feed(Fd* fd, const std::string& data, size_t* offset) {
  while (*offset < data.size()) {
    const ssize_t n = write(fd->get(), data.data() + *offset, data.size() - *offset);
    if (n > 0) {
      *offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      return;
    }
    break;
  }
  fd->Reset();
}

// A descriptor that becomes readable when the child exits, so the loop
// wakes at once rather than at its next token check. -1 where the kernel
// has no pidfd_open (before Linux 5.3); the token checks then pace reaping.
int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

int PollTimeoutMs(Clock::time_point now, std::optional<Clock::time_point> next_event) {
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kTokenCheckInterval);
  if (next_event.has_value()) {
    // Rounded up, so that the loop does not spin at 0 ms just before it.
    const auto until = std::chrono::ceil<std::chrono::milliseconds>(*next_event - now);
    wait = std::clamp(until, std::chrono::milliseconds(0), wait);
  }
  return static_cast<int>(wait.count());
}

absl::StatusOr<pid_t> Spawn(const SubprocessOptions& options, Pipe* in, Pipe* out, Pipe* err) {
  SpawnSetup setup;
  posix_spawn_file_actions_t* actions = setup.actions();
  if (options.stdin_data.has_value()) {
    posix_spawn_file_actions_adddup2(actions, in->read.get(), STDIN_FILENO);
  } else {
    // Never the worker's own stdin: a job must not read the terminal.
    posix_spawn_file_actions_addopen(actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(actions, out->write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(actions, err->write.get(), STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Belt and braces: a descriptor some library opened without O_CLOEXEC
  // would otherwise leak into the program (and keep, say, a socket alive).
  posix_spawn_file_actions_addclosefrom_np(actions, STDERR_FILENO + 1);
#endif

  posix_spawnattr_t* attributes = setup.attributes();
  // Its own process group, so a timeout can stop what it started too
  // (`sh -c "a | b"`); a clean signal mask and default handlers, because
  // the spawning thread's mask and ignored signals would be inherited.
  posix_spawnattr_setflags(attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(attributes, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(attributes, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(attributes, &all);

  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, argv[0], actions, attributes, argv.data(), environ);
  if (error != 0) {
    const std::string message = "cannot run \"" + options.argv[0] + "\": " + std::strerror(error);
    return error == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
  }
  return pid;
}

}  // namespace

absl::StatusOr<SubprocessOutcome> RunSubprocess(const SubprocessOptions& options) {
  JOBQ_CHECK(!options.argv.empty()) << "the caller checks argv";
  ScopedBlockSigpipe block_sigpipe;
  Pipe in, out, err;
  for (Pipe* pipe : {&out, &err}) {
    if (absl::Status status = MakePipe(pipe); !status.ok()) {
      return status;
    }
  }
  if (options.stdin_data.has_value()) {
    if (absl::Status status = MakePipe(&in); !status.ok()) {
      return status;
    }
  }
  absl::StatusOr<pid_t> spawned = Spawn(options, &in, &out, &err);
  if (!spawned.ok()) {
    return spawned.status();
  }
  const pid_t pid = *spawned;
  // The child holds its ends now; ours must go, or we would never see EOF.
  in.read.Reset();
  out.write.Reset();
  err.write.Reset();
  for (Fd* fd : {&in.write, &out.read, &err.read}) {
    if (fd->open()) {
      SetNonBlocking(fd->get());
    }
  }
  if (options.stdin_data.has_value() && options.stdin_data->empty()) {
    in.write.Reset();
  }
  Fd pid_fd(OpenPidFd(pid));

  SubprocessOutcome outcome;
  size_t stdin_offset = 0;
  bool exited = false;
  bool status_lost = false;
  int wait_status = 0;
  std::optional<SubprocessOutcome::End> stopped_because;
  std::optional<Clock::time_point> kill_at;
  bool killed = false;

  auto reap = [&] {
    if (exited) {
      return;
    }
    pid_t r;
    do {
      r = waitpid(pid, &wait_status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      exited = true;
      pid_fd.Reset();
    } else if (r < 0 && errno == ECHILD) {
      // Someone else reaped it (a waitpid(-1) elsewhere in the process).
      // It has gone; how it ended is lost, and reads as exit code -1.
      exited = true;
      status_lost = true;
      pid_fd.Reset();
    }
  };

  while (true) {
    if (exited && !out.read.open() && !err.read.open()) {
      break;  // it ended by itself and everything it wrote is read
    }
    if (exited && stopped_because.has_value()) {
      break;  // stopped; a descendant that escaped its group may hold the pipes
    }
    if (exited) {
      // Nothing left to feed once it has gone.
      in.write.Reset();
    }
    const Clock::time_point now = Clock::now();
    if (!stopped_because.has_value()) {
      if (options.cancel != nullptr && options.cancel->IsCancelled()) {
        stopped_because = SubprocessOutcome::End::kCancelled;
      } else if (options.deadline.has_value() && now >= *options.deadline) {
        stopped_because = SubprocessOutcome::End::kTimedOut;
      }
      if (stopped_because.has_value()) {
        // The child is not reaped yet (or is, and its group may live on),
        // so -pid still names its group and no one else's.
        kill(-pid, SIGTERM);
        kill_at = now + options.kill_grace;
      }
    } else if (!killed && now >= *kill_at) {
      kill(-pid, SIGKILL);
      killed = true;
    }

    pollfd fds[4];
    nfds_t count = 0;
    Fd* polled[4];
    for (Fd* fd : {&out.read, &err.read}) {
      if (fd->open()) {
        fds[count] = {fd->get(), POLLIN, 0};
        polled[count++] = fd;
      }
    }
    if (in.write.open()) {
      fds[count] = {in.write.get(), POLLOUT, 0};
      polled[count++] = &in.write;
    }
    if (pid_fd.open()) {
      fds[count] = {pid_fd.get(), POLLIN, 0};
      polled[count++] = &pid_fd;
    }
    std::optional<Clock::time_point> next_event =
        stopped_because.has_value() ? (killed ? std::nullopt : kill_at) : options.deadline;
    const int ready = poll(fds, count, PollTimeoutMs(now, next_event));
    if (ready < 0 && errno != EINTR) {
      JOBQ_CHECK(false) << "poll on our own pipes: " << std::strerror(errno);
    }
    for (nfds_t i = 0; ready > 0 && i < count; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      if (polled[i] == &out.read) {
        Drain(&out.read, options.output_max_bytes, &outcome.stdout_data, &outcome.stdout_truncated);
      } else if (polled[i] == &err.read) {
        Drain(&err.read, options.output_max_bytes, &outcome.stderr_data, &outcome.stderr_truncated);
      } else if (polled[i] == &in.write) {
        Feed(&in.write, *options.stdin_data, &stdin_offset);
      }
      // The pid descriptor needs no action: reap() below sees the exit.
    }
    reap();
  }

  if (status_lost && !stopped_because.has_value()) {
    outcome.end = SubprocessOutcome::End::kExited;
    outcome.exit_code = -1;
  } else if (stopped_because.has_value()) {
    outcome.end = *stopped_because;
    outcome.signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    outcome.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 0;
  } else if (WIFSIGNALED(wait_status)) {
    outcome.end = SubprocessOutcome::End::kSignaled;
    outcome.signal = WTERMSIG(wait_status);
  } else {
    outcome.end = SubprocessOutcome::End::kExited;
    outcome.exit_code = WEXITSTATUS(wait_status);
  }
  return outcome;
}

}  // namespace jobq::worker
