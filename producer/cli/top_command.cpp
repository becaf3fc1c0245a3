#include "producer/cli/top_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/wake_fd.h"
#include "producer/cli/admin_connection.h"
#include "producer/cli/exit_code.h"
#include "producer/cli/top_screen.h"

namespace jobq::cli {
namespace {

// What the signal handlers may touch: lock-free atomics and the loop's
// WakeFd (Notify() is async-signal-safe).
std::atomic<const WakeFd*> g_wake{nullptr};
std::atomic<bool> g_stop_signalled{false};
std::atomic<bool> g_resized{false};
static_assert(std::atomic<bool>::is_always_lock_free &&
              std::atomic<const WakeFd*>::is_always_lock_free);

extern "C" void OnTopSignal(int signal) {
  if (signal == SIGWINCH) {
    g_resized = true;
  } else {
    g_stop_signalled = true;
  }
  if (const WakeFd* wake = g_wake.load(); wake != nullptr) {
    wake->Notify();
  }
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    done += static_cast<size_t>(n);
  }
}

// The terminal as `jobq top` wants it, and as it was, restored on
// destruction: keys unbuffered and not echoed (signals still work), the
// alternate screen, no cursor.
class TerminalMode {
 public:
  TerminalMode() {
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      have_saved_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    screen_ = isatty(STDOUT_FILENO);
    if (screen_) {
      WriteAll(STDOUT_FILENO, "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");
    }
  }
  ~TerminalMode() {
    if (screen_) {
      WriteAll(STDOUT_FILENO, "\x1b[?25h\x1b[?1049l");
    }
    if (have_saved_) {
      tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
  }
  TerminalMode(const TerminalMode&) = delete;
  TerminalMode& operator=(const TerminalMode&) = delete;

  bool screen() const { return screen_; }

 private:
  termios saved_{};
  bool have_saved_ = false;
  bool screen_ = false;
};

// Signal handlers that wake the loop, and the ones they replaced.
class SignalWake {
 public:
  explicit SignalWake(const WakeFd* wake) {
    g_stop_signalled = false;
    g_resized = false;
    g_wake = wake;
    struct sigaction action {};
    action.sa_handler = OnTopSignal;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < kCount; ++i) {
      sigaction(kSignals[i], &action, &old_[i]);
    }
  }
  ~SignalWake() {
    for (int i = 0; i < kCount; ++i) {
      sigaction(kSignals[i], &old_[i], nullptr);
    }
    // A late signal must not touch the WakeFd once it is gone.
    g_wake = nullptr;
  }

 private:
  static constexpr int kCount = 4;
  static constexpr int kSignals[kCount] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
  struct sigaction old_[kCount] {};
};

// What the stream thread hands to the loop.
struct Shared {
  std::mutex mutex;
  std::optional<admin::GetStatusResponse> latest;  // not drawn yet
  std::optional<grpc::Status> ended;
};

std::pair<size_t, size_t> TerminalSize() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 && size.ws_row > 0) {
    return {size.ws_col, size.ws_row};
  }
  return {80, 24};
}

}  // namespace

CLI::App* AddTopCommand(CLI::App& app, TopFlags* flags) {
  CLI::App* command = app.add_subcommand(
      "top", "Live view of queues and workers, refreshed from the broker (q or Ctrl-C quits)");
  command->add_option("--interval", flags->interval_seconds,
                      "Seconds between refreshes (0.1 to 60, default 1)");
  command->add_option("--admin", flags->admin,
                      "Broker admin address (env JOBQ_ADMIN, default 127.0.0.1:50051)");
  return command;
}

absl::Status CheckTopInterval(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.1 || seconds > 60) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval must be from 0.1 to 60 seconds, got ", seconds));
  }
  return absl::OkStatus();
}

int RunTop(const TopFlags& flags, const GlobalFlags& global) {
  if (absl::Status valid = CheckTopInterval(flags.interval_seconds); !valid.ok()) {
    PrintError(valid.message());
    return kExitUsage;
  }
  std::optional<AdminConnection> admin = OpenAdmin(global, flags.admin);
  if (!admin) {
    return kExitUsage;
  }
  absl::StatusOr<WakeFd> wake = WakeFd::Create();
  if (!wake.ok()) {
    PrintError(wake.status().message());
    return kExitUsage;
  }
  // Declared after `wake`: the handlers are gone before it is.
  SignalWake signals(&*wake);

  Shared shared;
  grpc::ClientContext context;
  admin::WatchStatusRequest request;
  request.set_interval_ms(static_cast<uint32_t>(std::llround(flags.interval_seconds * 1000)));
  std::thread reader([&] {
    std::unique_ptr<grpc::ClientReader<admin::GetStatusResponse>> stream =
        admin->stub->WatchStatus(&context, request);
    admin::GetStatusResponse snapshot;
    while (stream->Read(&snapshot)) {
      {
        std::lock_guard lock(shared.mutex);
        shared.latest = snapshot;
      }
      wake->Notify();
    }
    grpc::Status end = stream->Finish();
    {
      std::lock_guard lock(shared.mutex);
      shared.ended = end;
    }
    wake->Notify();
  });

  // Wait for the first snapshot before touching the terminal, so an
  // unreachable broker is a plain error message.
  bool quit = false;
  std::optional<grpc::Status> failure;
  auto wait_first = [&] {
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          admin->deadline - std::chrono::system_clock::now());
      if (left.count() <= 0) {
        failure = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no status arrived in time");
        return;
      }
      pollfd item{wake->fd(), POLLIN, 0};
      if (poll(&item, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
        return;
      }
      wake->Drain();
      if (g_stop_signalled) {
        quit = true;
        return;
      }
      std::lock_guard lock(shared.mutex);
      if (shared.ended) {
        failure = *shared.ended;
        return;
      }
      if (shared.latest) {
        return;
      }
    }
  };
  wait_first();

  if (!failure && !quit) {
    TerminalMode terminal;
    std::optional<admin::GetStatusResponse> previous;
    std::optional<admin::GetStatusResponse> current;
    int64_t previous_at_ms = 0;
    int64_t current_at_ms = 0;
    bool read_keys = isatty(STDIN_FILENO);
    auto draw = [&] {
      if (!current) {
        return;
      }
      TopFrame frame;
      frame.address = admin->address;
      frame.status = *current;
      frame.previous = previous ? &*previous : nullptr;
      frame.elapsed_ms = current_at_ms - previous_at_ms;
      frame.now_unix_ms = current_at_ms;
      std::string out;
      if (terminal.screen()) {
        auto [width, height] = TerminalSize();
        frame.width = width;
        frame.height = height;
        out = "\x1b[H";
        for (const std::string& line : RenderTopLines(frame)) {
          absl::StrAppend(&out, line, "\x1b[K\n");
        }
        out.resize(out.size() - 1);  // no scroll past the last row
        out += "\x1b[J";
      } else {
        frame.width = 200;
        frame.height = 0;
        for (const std::string& line : RenderTopLines(frame)) {
          absl::StrAppend(&out, line, "\n");
        }
        out += "\n";
      }
      WriteAll(STDOUT_FILENO, out);
    };
    while (!quit && !failure) {
      {
        std::lock_guard lock(shared.mutex);
        if (shared.latest) {
          previous = std::move(current);
          previous_at_ms = current_at_ms;
          current = std::move(shared.latest);
          current_at_ms = WallNowMs();
          shared.latest.reset();
          draw();
        }
        if (shared.ended) {
          failure = *shared.ended;
          break;
        }
      }
      pollfd items[2] = {{wake->fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      if (poll(items, read_keys ? 2 : 1, -1) < 0 && errno != EINTR) {
        break;
      }
      if (items[0].revents & POLLIN) {
        wake->Drain();
        if (g_stop_signalled) {
          quit = true;
        }
        if (g_resized.exchange(false)) {
          draw();
        }
      }
      if (read_keys && (items[1].revents & (POLLIN | POLLHUP))) {
        char bytes[64];
        const ssize_t n = read(STDIN_FILENO, bytes, sizeof(bytes));
        if (n <= 0) {
          read_keys = false;  // no more keys: Ctrl-C still ends it
        }
        for (ssize_t i = 0; i < n; ++i) {
          if (bytes[i] == 'q' || bytes[i] == 'Q' || bytes[i] == 3) {
            quit = true;
          }
        }
      }
    }
  }  // the terminal is restored here

  context.TryCancel();
  reader.join();
  if (quit) {
    return kExitOk;
  }
  if (failure) {
    if (failure->ok()) {
      PrintError("the broker ended the status stream (it is stopping)");
    } else {
      return PrintRpcFailure("WatchStatus", *admin, *failure);
    }
  }
  return kExitUsage;
}

}  // namespace jobq::cli
